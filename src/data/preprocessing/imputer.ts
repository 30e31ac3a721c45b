/** Imputation: missing values replaced by a statistic of the training values, with optional "was missing" flags. */
import { ArgumentError, DataError } from '../../errors.js';
import { parseNumber, type Column, type NumericColumn } from '../table.js';
import {
  chooseColumns,
  jsonChoice,
  jsonObject,
  jsonStrings,
  notFitted,
  replaceColumns,
  requireColumn,
  sortedValues,
  type ColumnStep,
  type ColumnStepJSON,
} from './step.js';

/** How an {@link Imputer} picks the value that replaces missing ones. */
export type ImputeStrategy = 'mean' | 'median' | 'most_frequent' | 'constant';

const STRATEGIES: readonly ImputeStrategy[] = ['mean', 'median', 'most_frequent', 'constant'];

/** Options of {@link Imputer}. */
export interface ImputerOptions {
  /** Default 'mean'. `mean` and `median` need numeric columns; `most_frequent` and `constant` take both kinds. */
  strategy?: ImputeStrategy;
  /**
   * Columns to impute. When omitted: every numeric column for `mean`/`median`, every column for
   * `most_frequent`/`constant`.
   */
  columns?: readonly string[];
  /** The value for `constant`: a number for numeric columns; for categorical ones, a category name (numbers become text). */
  fillValue?: number | string;
  /**
   * Add, right after each imputed column, a numeric column `<name>_missing` holding 1 where the value was
   * missing and 0 elsewhere, so a model can tell imputed values apart. Default false.
   */
  addIndicator?: boolean;
}

interface Fitted {
  readonly columns: readonly string[];
  /** A number for a numeric column, a category name for a categorical one. */
  readonly fills: readonly (number | string)[];
}

/** The indicator column's name for `column`. */
function indicatorName(column: string): string {
  return `${column}_missing`;
}

/**
 * Replaces missing values column by column with a value fitted on the training data: the mean, the median
 * (the mean of the two middle values for an even count), the most frequent value (ties go to the smallest
 * number, or the first category name in code-point order, so fitting is deterministic), or a constant.
 */
export class Imputer implements ColumnStep {
  readonly type = 'Imputer';
  readonly strategy: ImputeStrategy;
  readonly addIndicator: boolean;
  private readonly requested: readonly string[] | undefined;
  private readonly fillValue: number | string | undefined;
  private fitted: Fitted | undefined;

  /** @throws ArgumentError for an unknown strategy, or `constant` without a fillValue */
  constructor(options: ImputerOptions = {}) {
    this.strategy = options.strategy ?? 'mean';
    if (!STRATEGIES.includes(this.strategy)) {
      throw new ArgumentError(`Imputer: unknown strategy '${this.strategy}'; use one of ${STRATEGIES.join(', ')}`);
    }
    if (this.strategy === 'constant' && options.fillValue === undefined) {
      throw new ArgumentError("Imputer: the 'constant' strategy needs a fillValue");
    }
    if (options.fillValue !== undefined && this.strategy !== 'constant') {
      throw new ArgumentError(`Imputer: fillValue is only used by the 'constant' strategy, not '${this.strategy}'`);
    }
    this.requested = options.columns;
    this.fillValue = options.fillValue;
    this.addIndicator = options.addIndicator ?? false;
  }

  get isFitted(): boolean {
    return this.fitted !== undefined;
  }

  /** Per fitted column: its name and the value that replaces its missing values. */
  get statistics(): { column: string; fill: number | string }[] {
    const f = this.fitted;
    if (f === undefined) throw notFitted('Imputer', 'read statistics');
    return f.columns.map((column, i) => ({ column, fill: f.fills[i]! }));
  }

  fit(columns: readonly Column[]): void {
    const numericOnly = this.strategy === 'mean' || this.strategy === 'median';
    const names = chooseColumns(columns, this.requested, numericOnly ? 'numeric' : undefined, `Imputer (${this.strategy})`);
    if (this.addIndicator) {
      for (const name of names) {
        const flag = indicatorName(name);
        if (columns.some((c) => c.name === flag)) {
          throw new DataError(`Imputer: the indicator column '${flag}' for '${name}' would clash with an existing column of that name; rename it`);
        }
      }
    }
    const fills = names.map((name) => {
      const column = requireColumn(columns, name, 'Imputer');
      return column.type === 'numeric' ? this.numericFill(column) : this.categoryFill(column.codes, column.categories, name);
    });
    this.fitted = { columns: names, fills };
  }

  private numericFill(column: NumericColumn): number {
    if (this.strategy === 'constant') {
      const fill = typeof this.fillValue === 'number' ? this.fillValue : parseNumber(String(this.fillValue));
      if (!Number.isFinite(fill)) {
        throw new DataError(`Imputer: fillValue ${JSON.stringify(this.fillValue)} is not a number, but column '${column.name}' is numeric`);
      }
      return fill;
    }
    const sorted = sortedValues(column);
    if (sorted.length === 0) {
      throw new DataError(`Imputer: column '${column.name}' has no values in the training data to take the ${this.strategy} of; use the 'constant' strategy or leave it out`);
    }
    if (this.strategy === 'mean') return sorted.reduce((a, b) => a + b, 0) / sorted.length;
    if (this.strategy === 'median') {
      const mid = sorted.length >> 1;
      return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
    }
    // Sorted ascending, the first longest run is the smallest most frequent value.
    let best = sorted[0]!;
    let bestCount = 0;
    for (let i = 0; i < sorted.length; ) {
      let j = i;
      while (j < sorted.length && sorted[j] === sorted[i]) j++;
      if (j - i > bestCount) [best, bestCount] = [sorted[i]!, j - i];
      i = j;
    }
    return best;
  }

  private categoryFill(codes: Int32Array, categories: readonly string[], name: string): string {
    if (this.strategy === 'constant') return String(this.fillValue);
    const counts = new Array<number>(categories.length).fill(0);
    for (const code of codes) if (code >= 0) counts[code]!++;
    let best: string | undefined;
    let bestCount = 0;
    categories.forEach((category, code) => {
      const count = counts[code]!;
      if (count > bestCount || (count === bestCount && count > 0 && category < best!)) [best, bestCount] = [category, count];
    });
    if (best === undefined) {
      throw new DataError(`Imputer: column '${name}' has no values in the training data to take the most frequent of; use the 'constant' strategy or leave it out`);
    }
    return best;
  }

  transform(columns: readonly Column[]): Column[] {
    const f = this.fitted;
    if (f === undefined) throw notFitted('Imputer', 'transform');
    const replacements = new Map<string, Column[]>();
    f.columns.forEach((name, i) => {
      const column = requireColumn(columns, name, 'Imputer');
      const fill = f.fills[i]!;
      let filled: Column;
      let missing: Float64Array;
      if (column.type === 'numeric') {
        if (typeof fill !== 'number') throw new DataError(`Imputer: column '${name}' is numeric now but was categorical when fitted`);
        missing = column.values.map((v) => (Number.isNaN(v) ? 1 : 0));
        filled = { ...column, values: column.values.map((v) => (Number.isNaN(v) ? fill : v)) };
      } else {
        if (typeof fill !== 'string') throw new DataError(`Imputer: column '${name}' is categorical now but was numeric when fitted`);
        let fillCode = column.categories.indexOf(fill);
        const categories = fillCode < 0 ? [...column.categories, fill] : column.categories;
        if (fillCode < 0) fillCode = column.categories.length;
        missing = Float64Array.from(column.codes, (c) => (c < 0 ? 1 : 0));
        filled = { ...column, categories, codes: column.codes.map((c) => (c < 0 ? fillCode : c)) };
      }
      const indicator: Column = { name: indicatorName(name), type: 'numeric', values: missing };
      replacements.set(name, this.addIndicator ? [filled, indicator] : [filled]);
    });
    return replaceColumns(columns, replacements);
  }

  toJSON(): ColumnStepJSON {
    const f = this.fitted;
    if (f === undefined) throw notFitted('Imputer', 'save');
    const json: ColumnStepJSON = {
      type: this.type,
      strategy: this.strategy,
      columns: [...f.columns],
      fills: [...f.fills],
      addIndicator: this.addIndicator,
    };
    return this.fillValue === undefined ? json : { ...json, fillValue: this.fillValue };
  }

  /** Restores a fitted imputer from {@link toJSON}'s output. @throws DataError for malformed JSON */
  static fromJSON(json: unknown): Imputer {
    const o = jsonObject(json, 'Imputer');
    const strategy = jsonChoice(o, 'strategy', STRATEGIES, 'Imputer');
    const columns = jsonStrings(o, 'columns', 'Imputer');
    const fills = o['fills'];
    if (
      !Array.isArray(fills) ||
      fills.length !== columns.length ||
      !fills.every((v) => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)))
    ) {
      throw new DataError(`Imputer: field 'fills' must be an array of ${columns.length} numbers or strings (one per column)`);
    }
    if (typeof o['addIndicator'] !== 'boolean') throw new DataError("Imputer: field 'addIndicator' must be true or false");
    const fillValue = o['fillValue'];
    if (fillValue !== undefined && typeof fillValue !== 'number' && typeof fillValue !== 'string') {
      throw new DataError("Imputer: field 'fillValue' must be a number or a string");
    }
    const imputer = new Imputer({ strategy, columns, addIndicator: o['addIndicator'], fillValue });
    imputer.fitted = { columns, fills: fills as (number | string)[] };
    return imputer;
  }
}
