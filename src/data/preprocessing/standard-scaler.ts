/** Standardization: each numeric column minus its training mean, divided by its training standard deviation. */
import { DataError } from '../../errors.js';
import type { Column } from '../table.js';
import {
  chooseColumns,
  jsonNumbers,
  jsonObject,
  jsonStrings,
  notFitted,
  replaceColumns,
  requireNumeric,
  type ColumnStep,
  type ColumnStepJSON,
} from './step.js';

/** Options of {@link StandardScaler}. */
export interface StandardScalerOptions {
  /** Numeric columns to scale; every numeric column when omitted. */
  columns?: readonly string[];
}

interface Fitted {
  readonly columns: readonly string[];
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

/**
 * Scales numeric columns to zero mean and unit variance: `(x − mean) / std`, with the population standard
 * deviation of the training values. Missing values are ignored when fitting and stay missing. A constant
 * column (std 0) is only centred, as scikit-learn does, so it does not turn into NaN.
 */
export class StandardScaler implements ColumnStep {
  readonly type = 'StandardScaler';
  private readonly requested: readonly string[] | undefined;
  private fitted: Fitted | undefined;

  constructor(options: StandardScalerOptions = {}) {
    this.requested = options.columns;
  }

  get isFitted(): boolean {
    return this.fitted !== undefined;
  }

  /** Per fitted column: its name, mean and standard deviation. */
  get statistics(): { column: string; mean: number; std: number }[] {
    const f = this.fitted;
    if (f === undefined) throw notFitted('StandardScaler', 'read statistics');
    return f.columns.map((column, i) => ({ column, mean: f.mean[i]!, std: f.std[i]! }));
  }

  fit(columns: readonly Column[]): void {
    const names = chooseColumns(columns, this.requested, 'numeric', 'StandardScaler');
    const mean: number[] = [];
    const std: number[] = [];
    for (const name of names) {
      const values = requireNumeric(columns, name, 'StandardScaler').values;
      let count = 0;
      let sum = 0;
      for (const v of values) {
        if (Number.isNaN(v)) continue;
        count++;
        sum += v;
      }
      if (count === 0) throw new DataError(`StandardScaler: column '${name}' has no values in the training data; impute it or leave it out`);
      const m = sum / count;
      let squares = 0;
      for (const v of values) if (!Number.isNaN(v)) squares += (v - m) ** 2;
      mean.push(m);
      std.push(Math.sqrt(squares / count));
    }
    this.fitted = { columns: names, mean, std };
  }

  transform(columns: readonly Column[]): Column[] {
    const f = this.fitted;
    if (f === undefined) throw notFitted('StandardScaler', 'transform');
    const replacements = new Map<string, Column[]>();
    f.columns.forEach((name, i) => {
      const column = requireNumeric(columns, name, 'StandardScaler');
      const mean = f.mean[i]!;
      const scale = f.std[i]! === 0 ? 1 : f.std[i]!;
      replacements.set(name, [{ ...column, values: column.values.map((v) => (v - mean) / scale) }]);
    });
    return replaceColumns(columns, replacements);
  }

  toJSON(): ColumnStepJSON {
    const f = this.fitted;
    if (f === undefined) throw notFitted('StandardScaler', 'save');
    return { type: this.type, columns: [...f.columns], mean: [...f.mean], std: [...f.std] };
  }

  /** Restores a fitted scaler from {@link toJSON}'s output. @throws DataError for malformed JSON */
  static fromJSON(json: unknown): StandardScaler {
    const o = jsonObject(json, 'StandardScaler');
    const columns = jsonStrings(o, 'columns', 'StandardScaler');
    const scaler = new StandardScaler({ columns });
    const std = jsonNumbers(o, 'std', 'StandardScaler', columns.length);
    if (std.some((s) => s < 0)) throw new DataError('StandardScaler: standard deviations cannot be negative');
    scaler.fitted = { columns, mean: jsonNumbers(o, 'mean', 'StandardScaler', columns.length), std };
    return scaler;
  }
}
