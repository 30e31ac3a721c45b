/** Outlier clipping: numeric values limited to bounds fixed by hand or fitted as training quantiles. */
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

/** Lower and upper bound. */
export type Bounds = readonly [number, number];

/** Options of {@link OutlierClipper}: `quantiles` or `bounds`, not both. */
export interface OutlierClipperOptions {
  /** Numeric columns to clip; every numeric column when omitted (or the keys of `bounds` when it is a record). */
  columns?: readonly string[];
  /** Clip to these quantiles of the training values (linear interpolation, like NumPy's default); default [0.01, 0.99]. */
  quantiles?: Bounds;
  /** Fixed bounds instead of quantiles: one pair for every column, or a pair per column name. */
  bounds?: Bounds | Readonly<Record<string, Bounds>>;
}

interface Fitted {
  readonly columns: readonly string[];
  readonly low: readonly number[];
  readonly high: readonly number[];
}

/** The `q`-quantile of ascending `sorted` values, interpolating linearly between neighbours. */
export function quantile(sorted: Float64Array, q: number): number {
  const position = q * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below]! + (sorted[above]! - sorted[below]!) * (position - below);
}

function checkBounds(bounds: Bounds, what: string): void {
  if (bounds.length !== 2 || !bounds.every(Number.isFinite) || bounds[0] > bounds[1]) {
    throw new ArgumentError(`OutlierClipper: ${what} must be [low, high] with low ≤ high, got [${bounds.join(', ')}]`);
  }
}

/**
 * Limits numeric values to [low, high] per column, so a few extreme values do not dominate scaling or
 * training. The bounds are either given or fitted as quantiles of the training values; missing values stay
 * missing.
 */
export class OutlierClipper implements ColumnStep {
  readonly type = 'OutlierClipper';
  /** The quantiles fitted, or undefined when bounds are fixed. */
  readonly quantiles: Bounds | undefined;
  private readonly bounds: OutlierClipperOptions['bounds'];
  private readonly requested: readonly string[] | undefined;
  private fitted: Fitted | undefined;

  /** @throws ArgumentError for both quantiles and bounds, or bounds/quantiles that are not ordered pairs */
  constructor(options: OutlierClipperOptions = {}) {
    if (options.quantiles !== undefined && options.bounds !== undefined) {
      throw new ArgumentError('OutlierClipper: give quantiles or bounds, not both');
    }
    this.bounds = options.bounds;
    this.quantiles = options.bounds === undefined ? (options.quantiles ?? [0.01, 0.99]) : undefined;
    if (this.quantiles !== undefined) {
      checkBounds(this.quantiles, 'quantiles');
      if (this.quantiles[0] < 0 || this.quantiles[1] > 1) {
        throw new ArgumentError(`OutlierClipper: quantiles must lie in [0, 1], got [${this.quantiles.join(', ')}]`);
      }
    }
    const bounds = options.bounds;
    if (bounds !== undefined && !Array.isArray(bounds)) {
      for (const [name, pair] of Object.entries(bounds as Readonly<Record<string, Bounds>>)) checkBounds(pair, `bounds of '${name}'`);
    } else if (bounds !== undefined) {
      checkBounds(bounds as Bounds, 'bounds');
    }
    const perColumn = bounds !== undefined && !Array.isArray(bounds) ? Object.keys(bounds) : undefined;
    this.requested = options.columns ?? perColumn;
  }

  get isFitted(): boolean {
    return this.fitted !== undefined;
  }

  /** Per fitted column: its name and bounds. */
  get statistics(): { column: string; low: number; high: number }[] {
    const f = this.fitted;
    if (f === undefined) throw notFitted('OutlierClipper', 'read statistics');
    return f.columns.map((column, i) => ({ column, low: f.low[i]!, high: f.high[i]! }));
  }

  fit(columns: readonly Column[]): void {
    const names = chooseColumns(columns, this.requested, 'numeric', 'OutlierClipper');
    const low: number[] = [];
    const high: number[] = [];
    for (const name of names) {
      const pair = this.fixedBounds(name) ?? this.fittedBounds(columns, name);
      low.push(pair[0]);
      high.push(pair[1]);
    }
    this.fitted = { columns: names, low, high };
  }

  private fixedBounds(name: string): Bounds | undefined {
    const bounds = this.bounds;
    if (bounds === undefined || Array.isArray(bounds)) return bounds as Bounds | undefined;
    const pair = (bounds as Readonly<Record<string, Bounds>>)[name];
    if (pair === undefined) throw new DataError(`OutlierClipper: no bounds given for column '${name}'`);
    return pair;
  }

  private fittedBounds(columns: readonly Column[], name: string): Bounds {
    const sorted = sortedValues(requireNumeric(columns, name, 'OutlierClipper'));
    if (sorted.length === 0) throw new DataError(`OutlierClipper: column '${name}' has no values in the training data to take quantiles of`);
    const [qLow, qHigh] = this.quantiles!;
    return [quantile(sorted, qLow), quantile(sorted, qHigh)];
  }

  transform(columns: readonly Column[]): Column[] {
    const f = this.fitted;
    if (f === undefined) throw notFitted('OutlierClipper', 'transform');
    const replacements = new Map<string, Column[]>();
    f.columns.forEach((name, i) => {
      const column = requireNumeric(columns, name, 'OutlierClipper');
      const low = f.low[i]!;
      const high = f.high[i]!;
      const values = column.values.map((v) => (Number.isNaN(v) ? v : v < low ? low : v > high ? high : v));
      replacements.set(name, [{ ...column, values }]);
    });
    return replaceColumns(columns, replacements);
  }

  toJSON(): ColumnStepJSON {
    const f = this.fitted;
    if (f === undefined) throw notFitted('OutlierClipper', 'save');
    const json: ColumnStepJSON = { type: this.type, columns: [...f.columns], low: [...f.low], high: [...f.high] };
    return this.quantiles === undefined ? json : { ...json, quantiles: [...this.quantiles] };
  }

  /** Restores a fitted clipper from {@link toJSON}'s output. @throws DataError for malformed JSON */
  static fromJSON(json: unknown): OutlierClipper {
    const o = jsonObject(json, 'OutlierClipper');
    const columns = jsonStrings(o, 'columns', 'OutlierClipper');
    const low = jsonNumbers(o, 'low', 'OutlierClipper', columns.length);
    const high = jsonNumbers(o, 'high', 'OutlierClipper', columns.length);
    if (low.some((l, i) => l > high[i]!)) throw new DataError('OutlierClipper: every low bound must be ≤ its high bound');
    const quantiles = o['quantiles'] === undefined ? undefined : (jsonNumbers(o, 'quantiles', 'OutlierClipper', 2) as [number, number]);
    const bounds = Object.fromEntries(columns.map((c, i): [string, Bounds] => [c, [low[i]!, high[i]!]]));
    const clipper = new OutlierClipper(quantiles === undefined ? { columns, bounds } : { columns, quantiles });
    clipper.fitted = { columns, low, high };
    return clipper;
  }
}
