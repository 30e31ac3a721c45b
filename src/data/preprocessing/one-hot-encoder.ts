/** One-hot encoding: each categorical column becomes one 0/1 numeric column per training category. */
import { ArgumentError, DataError } from '../../errors.js';
import type { Column } from '../table.js';
import {
  chooseColumns,
  jsonChoice,
  jsonObject,
  jsonStrings,
  notFitted,
  replaceColumns,
  requireColumn,
  type ColumnStep,
  type ColumnStepJSON,
} from './step.js';

/** What {@link OneHotEncoder} does with a category it did not see in training (or a missing value). */
export type UnknownCategoryHandling = 'error' | 'ignore';

const HANDLING: readonly UnknownCategoryHandling[] = ['error', 'ignore'];

/** Options of {@link OneHotEncoder}. */
export interface OneHotEncoderOptions {
  /** Categorical columns to encode; every categorical column when omitted. */
  columns?: readonly string[];
  /**
   * `'error'` (default): a category not seen in training, or a missing value, throws a DataError naming the
   * column and the value. `'ignore'`: it encodes as all zeros.
   */
  handleUnknown?: UnknownCategoryHandling;
}

interface Fitted {
  readonly columns: readonly string[];
  readonly categories: readonly (readonly string[])[];
}

/** The feature name of `category` of `column`: `column=category`. */
function oneHotName(column: string, category: string): string {
  return `${column}=${category}`;
}

/**
 * Replaces each categorical column, in place, by one numeric column per category seen in training, named
 * `column=category`, holding 1 where the row has that category and 0 elsewhere. Categories are sorted in
 * code-point order, so the feature order does not depend on the order rows arrive in.
 */
export class OneHotEncoder implements ColumnStep {
  readonly type = 'OneHotEncoder';
  readonly handleUnknown: UnknownCategoryHandling;
  private readonly requested: readonly string[] | undefined;
  private fitted: Fitted | undefined;

  /** @throws ArgumentError for an unknown handleUnknown value */
  constructor(options: OneHotEncoderOptions = {}) {
    this.handleUnknown = options.handleUnknown ?? 'error';
    if (!HANDLING.includes(this.handleUnknown)) {
      throw new ArgumentError(`OneHotEncoder: handleUnknown must be 'error' or 'ignore', got '${String(this.handleUnknown)}'`);
    }
    this.requested = options.columns;
  }

  get isFitted(): boolean {
    return this.fitted !== undefined;
  }

  /** Per fitted column: its name and its categories, in feature order. */
  get statistics(): { column: string; categories: readonly string[] }[] {
    const f = this.fitted;
    if (f === undefined) throw notFitted('OneHotEncoder', 'read statistics');
    return f.columns.map((column, i) => ({ column, categories: f.categories[i]! }));
  }

  fit(columns: readonly Column[]): void {
    const names = chooseColumns(columns, this.requested, 'categorical', 'OneHotEncoder');
    const categories = names.map((name) => {
      const column = requireColumn(columns, name, 'OneHotEncoder');
      if (column.type !== 'categorical') throw new DataError(`OneHotEncoder: column '${name}' must be categorical`);
      const used = new Set<string>();
      for (const code of column.codes) if (code >= 0) used.add(column.categories[code]!);
      // Plain comparison, not localeCompare: the order must not depend on the machine's locale.
      return [...used].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    });
    this.fitted = { columns: names, categories };
  }

  transform(columns: readonly Column[]): Column[] {
    const f = this.fitted;
    if (f === undefined) throw notFitted('OneHotEncoder', 'transform');
    const replacements = new Map<string, Column[]>();
    f.columns.forEach((name, i) => {
      const column = requireColumn(columns, name, 'OneHotEncoder');
      if (column.type !== 'categorical') throw new DataError(`OneHotEncoder: column '${name}' must be categorical, found numeric`);
      const known = f.categories[i]!;
      const slot = new Map(known.map((category, k) => [category, k]));
      // Translate the input's codes into the fitted category slots once, not per row.
      const slotOfCode = column.categories.map((category) => slot.get(category) ?? -1);
      const outputs = known.map(() => new Float64Array(column.codes.length));
      column.codes.forEach((code, row) => {
        const k = code < 0 ? -1 : slotOfCode[code]!;
        if (k >= 0) outputs[k]![row] = 1;
        else if (this.handleUnknown === 'error') throw this.unknownError(name, code < 0 ? null : column.categories[code]!, row, known);
      });
      replacements.set(name, known.map((category, k) => ({ name: oneHotName(name, category), type: 'numeric', values: outputs[k]! })));
    });
    return replaceColumns(columns, replacements);
  }

  private unknownError(column: string, value: string | null, row: number, known: readonly string[]): DataError {
    const list = known.length > 20 ? `${known.slice(0, 20).join(', ')}, … (${known.length} in all)` : known.join(', ');
    const what = value === null ? 'a missing value' : `the category '${value}', which was not in the training data`;
    const fix = value === null ? 'put an Imputer before the OneHotEncoder' : "use handleUnknown: 'ignore' to encode unseen categories as all zeros";
    return new DataError(`OneHotEncoder: column '${column}' has ${what} (row ${row}); known categories: ${list}. To accept it, ${fix}`);
  }

  toJSON(): ColumnStepJSON {
    const f = this.fitted;
    if (f === undefined) throw notFitted('OneHotEncoder', 'save');
    return { type: this.type, handleUnknown: this.handleUnknown, columns: [...f.columns], categories: f.categories.map((c) => [...c]) };
  }

  /** Restores a fitted encoder from {@link toJSON}'s output. @throws DataError for malformed JSON */
  static fromJSON(json: unknown): OneHotEncoder {
    const o = jsonObject(json, 'OneHotEncoder');
    const columns = jsonStrings(o, 'columns', 'OneHotEncoder');
    const encoder = new OneHotEncoder({ columns, handleUnknown: jsonChoice(o, 'handleUnknown', HANDLING, 'OneHotEncoder') });
    const categories = o['categories'];
    if (
      !Array.isArray(categories) ||
      categories.length !== columns.length ||
      !categories.every((list) => Array.isArray(list) && list.every((c) => typeof c === 'string'))
    ) {
      throw new DataError(`OneHotEncoder: field 'categories' must hold ${columns.length} arrays of strings (one per column)`);
    }
    encoder.fitted = { columns, categories: categories as string[][] };
    return encoder;
  }
}
