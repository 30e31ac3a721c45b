/** Min-max scaling: each numeric column mapped linearly so its training range becomes a target range. */
import { ArgumentError, DataError } from '../../errors.js';
import type { Column } from '../table.js';
import {
  chooseColumns,
  jsonNumbers,
  jsonObject,
  jsonStrings,
  notFitted,
  replaceColumns,
  requireNumeric,
  sortedValues,
  type ColumnStep,
  type ColumnStepJSON,
} from './step.js';

/** Options of {@link MinMaxScaler}. */
export interface MinMaxScalerOptions {
  /** Numeric columns to scale; every numeric column when omitted. */
  columns?: readonly string[];
  /** The range the training minimum and maximum map to; default [0, 1]. */
  range?: readonly [number, number];
}

interface Fitted {
  readonly columns: readonly string[];
  readonly min: readonly number[];
  readonly max: readonly number[];
}

/**
 * Maps each numeric column's training [min, max] linearly onto `range` (default [0, 1]). Values outside the
 * training range at inference map outside `range`; put an OutlierClipper first to bound them. A constant
 * column maps to the range's lower end. Missing values are ignored when fitting and stay missing.
 */
export class MinMaxScaler implements ColumnStep {
  readonly type = 'MinMaxScaler';
  readonly range: readonly [number, number];
  private readonly requested: readonly string[] | undefined;
  private fitted: Fitted | undefined;

  /** @throws ArgumentError for a range that is not two finite numbers, low < high */
  constructor(options: MinMaxScalerOptions = {}) {
    const range = options.range ?? [0, 1];
    if (!range.every(Number.isFinite) || range[0] >= range[1]) {
      throw new ArgumentError(`MinMaxScaler: range must be [low, high] with low < high, got [${range.join(', ')}]`);
    }
    this.range = [range[0], range[1]];
    this.requested = options.columns;
  }

  get isFitted(): boolean {
    return this.fitted !== undefined;
  }

  /** Per fitted column: its name and its training minimum and maximum. */
  get statistics(): { column: string; min: number; max: number }[] {
    const f = this.fitted;
    if (f === undefined) throw notFitted('MinMaxScaler', 'read statistics');
    return f.columns.map((column, i) => ({ column, min: f.min[i]!, max: f.max[i]! }));
  }

  fit(columns: readonly Column[]): void {
    const names = chooseColumns(columns, this.requested, 'numeric', 'MinMaxScaler');
    const min: number[] = [];
    const max: number[] = [];
    for (const name of names) {
      const sorted = sortedValues(requireNumeric(columns, name, 'MinMaxScaler'));
      if (sorted.length === 0) throw new DataError(`MinMaxScaler: column '${name}' has no values in the training data; impute it or leave it out`);
      min.push(sorted[0]!);
      max.push(sorted[sorted.length - 1]!);
    }
    this.fitted = { columns: names, min, max };
  }

  transform(columns: readonly Column[]): Column[] {
    const f = this.fitted;
    if (f === undefined) throw notFitted('MinMaxScaler', 'transform');
    const [low, high] = this.range;
    const replacements = new Map<string, Column[]>();
    f.columns.forEach((name, i) => {
      const column = requireNumeric(columns, name, 'MinMaxScaler');
      const min = f.min[i]!;
      const span = f.max[i]! - min;
      const scale = span === 0 ? 0 : (high - low) / span;
      replacements.set(name, [{ ...column, values: column.values.map((v) => low + (v - min) * scale) }]);
    });
    return replaceColumns(columns, replacements);
  }

  toJSON(): ColumnStepJSON {
    const f = this.fitted;
    if (f === undefined) throw notFitted('MinMaxScaler', 'save');
    return { type: this.type, columns: [...f.columns], range: [...this.range], min: [...f.min], max: [...f.max] };
  }

  /** Restores a fitted scaler from {@link toJSON}'s output. @throws DataError for malformed JSON */
  static fromJSON(json: unknown): MinMaxScaler {
    const o = jsonObject(json, 'MinMaxScaler');
    const columns = jsonStrings(o, 'columns', 'MinMaxScaler');
    const [low, high] = jsonNumbers(o, 'range', 'MinMaxScaler', 2) as [number, number];
    if (low >= high) throw new DataError(`MinMaxScaler: range must have low < high, found [${low}, ${high}]`);
    const scaler = new MinMaxScaler({ columns, range: [low, high] });
    const min = jsonNumbers(o, 'min', 'MinMaxScaler', columns.length);
    const max = jsonNumbers(o, 'max', 'MinMaxScaler', columns.length);
    if (min.some((m, i) => m > max[i]!)) throw new DataError('MinMaxScaler: every min must be ≤ its max');
    scaler.fitted = { columns, min, max };
    return scaler;
  }
}
