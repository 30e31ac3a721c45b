/**
 * Tables: named, typed columns read from CSV or JSON lines, and the rules that turn raw text cells into them.
 *
 * A column is either numeric (a Float64Array, NaN where a value is missing) or categorical (an Int32Array of
 * codes into a list of category names, -1 where a value is missing). Readers build tables in two passes over
 * a file: the first only counts what each column holds to infer its type, the second fills typed storage, so
 * no raw text is kept in memory.
 */
import { DataError } from '../errors.js';

/** How a column is stored and preprocessed: numbers, or names drawn from a set of categories. */
export type ColumnType = 'numeric' | 'categorical';

/** A column of numbers; NaN marks a missing value. */
export interface NumericColumn {
  readonly name: string;
  readonly type: 'numeric';
  readonly values: Float64Array;
}

/** A column of category names, stored as codes into `categories` (in order of first appearance); -1 marks a missing value. */
export interface CategoricalColumn {
  readonly name: string;
  readonly type: 'categorical';
  readonly codes: Int32Array;
  readonly categories: readonly string[];
}

/** One column of a {@link Table}. */
export type Column = NumericColumn | CategoricalColumn;

/** A cell as a reader finds it: text from CSV, a JSON scalar from JSON lines; null or undefined when absent. */
export type RawCell = string | number | boolean | null | undefined;

/** A cell read back from a table: a number, a category name, or null when missing. */
export type CellValue = number | string | null;

/**
 * Text cells that mean "missing", compared case-insensitively after trimming whitespace: the empty string,
 * `NA`, `N/A`, `NaN`, `null` and `?`.
 */
export const DEFAULT_MISSING_VALUES: readonly string[] = ['', 'NA', 'N/A', 'NaN', 'null', '?'];

/**
 * Share of a column's non-missing values that must parse as finite numbers for the column to be numeric.
 * Below it the column is categorical. At or above it, the few values that are not numbers become missing
 * and are counted in {@link ReadReport.nonNumeric}: one stray `"n/a "` or `"12kg"` should not turn a
 * measurement into a category.
 */
export const NUMERIC_MAJORITY = 0.95;

/** Options shared by the table readers (`readCsv`, `readJsonl`, `Table.fromRecords`). */
export interface TableOptions {
  /** The column to predict. Rows where it is missing (or, for a numeric target, not a number) are dropped and counted. */
  target?: string;
  /** Force the type of some columns instead of inferring it (say, numeric codes that are really categories). */
  columnTypes?: Readonly<Record<string, ColumnType>>;
  /** Drop rows that repeat an earlier row exactly (after parsing), counting them. Default false. */
  dropDuplicates?: boolean;
  /** Text cells that mean "missing"; default {@link DEFAULT_MISSING_VALUES}. Compared case-insensitively after trimming. */
  missingValues?: readonly string[];
}

/** What a reader did to the rows of a file on the way to a table. */
export interface ReadReport {
  /** The file (or `'records'` for in-memory records). */
  readonly source: string;
  /** Data rows found (blank lines not included). */
  readonly rowsRead: number;
  /** Rows in the table. */
  readonly rowsKept: number;
  /** Rows dropped because the target was missing. */
  readonly droppedMissingTarget: number;
  /** Rows dropped because a numeric target held something that is not a number. */
  readonly droppedInvalidTarget: number;
  /** Rows dropped as exact duplicates of an earlier row (only with `dropDuplicates`). */
  readonly droppedDuplicates: number;
  /** Per numeric column, values that were present but not numbers and became missing; columns with none are left out. */
  readonly nonNumeric: Readonly<Record<string, number>>;
  /** The inferred (or forced) type of each column. */
  readonly columnTypes: Readonly<Record<string, ColumnType>>;
}

const NUMBER_PATTERN = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * The number a trimmed text cell spells, or NaN. Stricter than `Number()`: no hex, no empty string, no
 * `Infinity`, so a column of ids like `0x1F` or a blank stays what it is.
 */
export function parseNumber(text: string): number {
  return NUMBER_PATTERN.test(text) ? Number(text) : NaN;
}

/** Recognizes the text cells that mean "missing". */
export class MissingMarkers {
  private readonly markers: ReadonlySet<string>;

  constructor(markers: readonly string[] = DEFAULT_MISSING_VALUES) {
    this.markers = new Set(markers.map((m) => m.trim().toLowerCase()));
  }

  /**
   * A raw cell as trimmed text, or null when it is missing (absent, null, a NaN number or a missing marker).
   * Booleans become `'true'`/`'false'`.
   */
  text(value: RawCell): string | null {
    if (value === null || value === undefined) return null;
    if (typeof value === 'number') return Number.isNaN(value) ? null : String(value);
    if (typeof value === 'boolean') return String(value);
    const trimmed = value.trim();
    return this.markers.has(trimmed.toLowerCase()) ? null : trimmed;
  }
}

/** The value of a raw cell for a numeric column: its number, NaN when missing or not a number. */
function numericValue(value: RawCell, text: string | null): number {
  if (text === null) return NaN;
  if (typeof value === 'number') return Number.isFinite(value) ? value : NaN;
  return parseNumber(text);
}

/** `DataError` for a column name that is not there, listing the ones that are. */
export function unknownColumnError(name: string, columns: readonly string[], where: string, role = 'column'): DataError {
  return new DataError(
    `${where}: there is no ${role} '${name}'; the columns are: ${columns.map((c) => `'${c}'`).join(', ')}`,
  );
}

/**
 * First pass of a reader: counts, per column, the non-missing values and how many of them are numbers, to
 * infer each column's type by the {@link NUMERIC_MAJORITY} rule.
 */
export class ColumnTypeSniffer {
  private readonly present: number[] = [];
  private readonly numeric: number[] = [];
  private readonly markers: MissingMarkers;

  constructor(markers: MissingMarkers) {
    this.markers = markers;
  }

  /** Counts one cell of column `column` (columns may first appear at any index, as JSON lines keys do). */
  observe(column: number, value: RawCell): void {
    const text = this.markers.text(value);
    if (text === null) return;
    this.present[column] = (this.present[column] ?? 0) + 1;
    if (!Number.isNaN(numericValue(value, text))) this.numeric[column] = (this.numeric[column] ?? 0) + 1;
  }

  /**
   * The type of each of `names`: forced by `overrides`, else numeric when at least {@link NUMERIC_MAJORITY}
   * of its non-missing values are numbers. A column with no values at all is numeric (all missing).
   */
  types(names: readonly string[], overrides: Readonly<Record<string, ColumnType>> | undefined, where: string): ColumnType[] {
    for (const name of Object.keys(overrides ?? {})) {
      if (!names.includes(name)) throw unknownColumnError(name, names, `${where}: columnTypes`);
    }
    return names.map((name, i) => {
      const forced = overrides?.[name];
      if (forced !== undefined) return forced;
      const present = this.present[i] ?? 0;
      return (this.numeric[i] ?? 0) >= NUMERIC_MAJORITY * present ? 'numeric' : 'categorical';
    });
  }
}

class GrowableFloat64 {
  data = new Float64Array(1024);
  length = 0;

  push(value: number): void {
    if (this.length === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = value;
  }
}

class GrowableInt32 {
  data = new Int32Array(1024);
  length = 0;

  push(value: number): void {
    if (this.length === this.data.length) {
      const bigger = new Int32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = value;
  }
}

interface ColumnSink {
  readonly name: string;
  readonly type: ColumnType;
  readonly numbers: GrowableFloat64;
  readonly codes: GrowableInt32;
  readonly lookup: Map<string, number>;
  readonly categories: string[];
  nonNumeric: number;
}

/**
 * Second pass of a reader: fills typed column storage row by row, dropping rows with a missing or invalid
 * target and (optionally) duplicate rows, and counting what it dropped.
 */
export class TableAccumulator {
  private readonly sinks: ColumnSink[];
  private readonly target: string | undefined;
  private readonly targetIndex: number;
  private readonly seen: Set<string> | undefined;
  private readonly markers: MissingMarkers;
  private rowsRead = 0;
  private droppedMissingTarget = 0;
  private droppedInvalidTarget = 0;
  private droppedDuplicates = 0;

  /**
   * @param names column names, in table order
   * @param types one per name, from {@link ColumnTypeSniffer.types}
   * @param source names the input in error messages and the report
   */
  constructor(
    names: readonly string[],
    types: readonly ColumnType[],
    options: TableOptions,
    markers: MissingMarkers,
    private readonly source: string,
  ) {
    this.sinks = names.map((name, i) => ({
      name,
      type: types[i]!,
      numbers: new GrowableFloat64(),
      codes: new GrowableInt32(),
      lookup: new Map(),
      categories: [],
      nonNumeric: 0,
    }));
    this.target = options.target;
    this.targetIndex = options.target === undefined ? -1 : names.indexOf(options.target);
    if (options.target !== undefined && this.targetIndex < 0) {
      throw unknownColumnError(options.target, names, source, 'target column');
    }
    this.seen = options.dropDuplicates ? new Set() : undefined;
    this.markers = markers;
  }

  /** Adds one row; `cells[i]` belongs to column `i` (undefined, or a shorter row, means missing). */
  add(cells: readonly RawCell[]): void {
    this.rowsRead++;
    const texts = this.sinks.map((_, i) => this.markers.text(cells[i]));
    if (this.targetIndex >= 0) {
      const text = texts[this.targetIndex] ?? null;
      if (text === null) {
        this.droppedMissingTarget++;
        return;
      }
      const sink = this.sinks[this.targetIndex]!;
      if (sink.type === 'numeric' && Number.isNaN(numericValue(cells[this.targetIndex], text))) {
        this.droppedInvalidTarget++;
        return;
      }
    }
    const values: (number | string | null)[] = this.sinks.map((sink, i) =>
      sink.type === 'numeric' ? numericValue(cells[i], texts[i] ?? null) : (texts[i] ?? null),
    );
    if (this.seen !== undefined) {
      // NaN does not survive JSON.stringify as itself; null stands for every kind of missing.
      const key = JSON.stringify(values.map((v) => (typeof v === 'number' && Number.isNaN(v) ? null : v)));
      if (this.seen.has(key)) {
        this.droppedDuplicates++;
        return;
      }
      this.seen.add(key);
    }
    for (let i = 0; i < this.sinks.length; i++) {
      const sink = this.sinks[i]!;
      const value = values[i]!;
      if (sink.type === 'numeric') {
        if (Number.isNaN(value) && texts[i] !== null) sink.nonNumeric++;
        sink.numbers.push(value as number);
      } else if (value === null) {
        sink.codes.push(-1);
      } else {
        let code = sink.lookup.get(value as string);
        if (code === undefined) {
          code = sink.categories.length;
          sink.lookup.set(value as string, code);
          sink.categories.push(value as string);
        }
        sink.codes.push(code);
      }
    }
  }

  /** The table built so far, with the report of what was dropped. */
  finish(): Table {
    const columns: Column[] = this.sinks.map((sink) =>
      sink.type === 'numeric'
        ? { name: sink.name, type: 'numeric', values: sink.numbers.data.slice(0, sink.numbers.length) }
        : { name: sink.name, type: 'categorical', codes: sink.codes.data.slice(0, sink.codes.length), categories: sink.categories },
    );
    const nonNumeric: Record<string, number> = {};
    const columnTypes: Record<string, ColumnType> = {};
    for (const sink of this.sinks) {
      if (sink.nonNumeric > 0) nonNumeric[sink.name] = sink.nonNumeric;
      columnTypes[sink.name] = sink.type;
    }
    const rowsKept = this.rowsRead - this.droppedMissingTarget - this.droppedInvalidTarget - this.droppedDuplicates;
    const report: ReadReport = {
      source: this.source,
      rowsRead: this.rowsRead,
      rowsKept,
      droppedMissingTarget: this.droppedMissingTarget,
      droppedInvalidTarget: this.droppedInvalidTarget,
      droppedDuplicates: this.droppedDuplicates,
      nonNumeric,
      columnTypes,
    };
    return new Table(columns, { target: this.target, report, rowCount: rowsKept });
  }
}

/** Length of a column's storage. */
function columnLength(column: Column): number {
  return column.type === 'numeric' ? column.values.length : column.codes.length;
}

/**
 * Converts a column to `type`: numbers become categories named by their text (`3` → `'3'`), categories become
 * the numbers they spell, or missing when they spell none (the same rule the readers use).
 */
export function castColumn(column: Column, type: ColumnType): Column {
  if (column.type === type) return column;
  if (column.type === 'categorical') {
    const asNumber = column.categories.map(parseNumber);
    const values = new Float64Array(column.codes.length);
    for (let i = 0; i < values.length; i++) {
      const code = column.codes[i]!;
      values[i] = code < 0 ? NaN : asNumber[code]!;
    }
    return { name: column.name, type: 'numeric', values };
  }
  const lookup = new Map<string, number>();
  const categories: string[] = [];
  const codes = new Int32Array(column.values.length);
  for (let i = 0; i < codes.length; i++) {
    const v = column.values[i]!;
    if (Number.isNaN(v)) {
      codes[i] = -1;
      continue;
    }
    const text = String(v);
    let code = lookup.get(text);
    if (code === undefined) {
      code = categories.length;
      lookup.set(text, code);
      categories.push(text);
    }
    codes[i] = code;
  }
  return { name: column.name, type: 'categorical', codes, categories };
}

/** Options of the {@link Table} constructor. */
export interface TableInit {
  /** The column to predict; must be one of the columns. */
  target?: string;
  /** What the reader dropped and counted, when the table came from a file. */
  report?: ReadReport;
  /** Number of rows; needed only for a table without columns. */
  rowCount?: number;
}

/**
 * Rows × named columns, each numeric or categorical (see {@link Column}), with an optional target column and,
 * for tables read from files, the reader's {@link ReadReport}. Tables are not modified after construction.
 */
export class Table {
  readonly columns: readonly Column[];
  readonly rowCount: number;
  /** The column to predict, if one was named. */
  readonly target: string | undefined;
  /** What the reader dropped and counted; undefined for tables built in memory. */
  readonly report: ReadReport | undefined;
  private readonly byName: ReadonlyMap<string, Column>;

  /** @throws DataError when names repeat, lengths differ, or the target is not a column */
  constructor(columns: readonly Column[], init: TableInit = {}) {
    const byName = new Map<string, Column>();
    const rowCount = columns.length > 0 ? columnLength(columns[0]!) : (init.rowCount ?? 0);
    for (const column of columns) {
      if (byName.has(column.name)) throw new DataError(`Table: the column name '${column.name}' appears twice; names must be unique`);
      byName.set(column.name, column);
      const length = columnLength(column);
      if (length !== rowCount) {
        throw new DataError(`Table: column '${column.name}' has ${length} rows but '${columns[0]!.name}' has ${rowCount}; all columns must have the same length`);
      }
    }
    if (init.target !== undefined && !byName.has(init.target)) {
      throw unknownColumnError(init.target, [...byName.keys()], 'Table', 'target column');
    }
    this.columns = Object.freeze([...columns]);
    this.rowCount = rowCount;
    this.target = init.target;
    this.report = init.report;
    this.byName = byName;
  }

  /**
   * Builds a table from plain objects (`{ column: value }`), with the same type inference, missing-value
   * markers and row dropping as the file readers. Columns appear in order of first appearance.
   */
  static fromRecords(records: readonly Readonly<Record<string, RawCell>>[], options: TableOptions = {}): Table {
    const markers = new MissingMarkers(options.missingValues);
    const sniffer = new ColumnTypeSniffer(markers);
    const index = new Map<string, number>();
    for (const record of records) {
      for (const [key, value] of Object.entries(record)) {
        let i = index.get(key);
        if (i === undefined) index.set(key, (i = index.size));
        sniffer.observe(i, value);
      }
    }
    const names = [...index.keys()];
    const accumulator = new TableAccumulator(names, sniffer.types(names, options.columnTypes, 'records'), options, markers, 'records');
    for (const record of records) accumulator.add(names.map((name) => (Object.hasOwn(record, name) ? record[name] : undefined)));
    return accumulator.finish();
  }

  /** The column names, in order. */
  get columnNames(): string[] {
    return this.columns.map((c) => c.name);
  }

  /** The columns other than the target: the model's inputs. */
  get featureColumns(): Column[] {
    return this.columns.filter((c) => c.name !== this.target);
  }

  /** Whether a column of that name exists. */
  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** The column called `name`. @throws DataError listing the columns when there is none */
  column(name: string): Column {
    const column = this.byName.get(name);
    if (column === undefined) throw unknownColumnError(name, this.columnNames, 'Table');
    return column;
  }

  /** The value in column `name` at `row`: a number, a category name, or null when missing. */
  value(name: string, row: number): CellValue {
    return cellValue(this.column(name), row);
  }

  /** Row `row` as an object `{ column: value }` (null for missing values). */
  record(row: number): Record<string, CellValue> {
    // Object.fromEntries defines own properties, so a column called "__proto__" stays a plain key.
    return Object.fromEntries(this.columns.map((c) => [c.name, cellValue(c, row)]));
  }

  /** Number of missing values in column `name`. */
  missingCount(name: string): number {
    const column = this.column(name);
    let count = 0;
    if (column.type === 'numeric') {
      for (const v of column.values) if (Number.isNaN(v)) count++;
    } else {
      for (const c of column.codes) if (c < 0) count++;
    }
    return count;
  }

  /**
   * A table of the given rows, in that order (repeats allowed): a training or validation split. Categories
   * keep their codes, so the new table's columns share the category lists.
   * @throws DataError for a row index outside the table
   */
  select(rows: ArrayLike<number>): Table {
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      if (!Number.isInteger(row) || row < 0 || row >= this.rowCount) {
        throw new DataError(`Table.select: row ${row} (position ${i}) is outside the table of ${this.rowCount} rows`);
      }
    }
    const columns = this.columns.map((column): Column => {
      if (column.type === 'numeric') {
        const values = new Float64Array(rows.length);
        for (let i = 0; i < rows.length; i++) values[i] = column.values[rows[i]!]!;
        return { ...column, values };
      }
      const codes = new Int32Array(rows.length);
      for (let i = 0; i < rows.length; i++) codes[i] = column.codes[rows[i]!]!;
      return { ...column, codes };
    });
    return new Table(columns, { target: this.target, rowCount: rows.length });
  }
}

/** The value of `column` at `row`: a number, a category name, or null when missing. */
export function cellValue(column: Column, row: number): CellValue {
  if (column.type === 'numeric') {
    const v = column.values[row]!;
    return Number.isNaN(v) ? null : v;
  }
  const code = column.codes[row]!;
  return code < 0 ? null : column.categories[code]!;
}
