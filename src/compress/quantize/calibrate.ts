/**
 * Calibration: runs real samples through the float model and chooses, for every activation the plan needs,
 * the float range its u8 codes will cover — the observed minimum and maximum (`minmax`), a percentile of
 * the values that ignores rare outliers (`percentile`), or the range that minimizes the expected squared
 * quantization error, clipping included (`mse`).
 */
import { noGrad } from '../../autograd/grad-mode.js';
import { ArgumentError } from '../../errors.js';
import type { SpecModel } from '../../nn/spec.js';
import { slice } from '../../ops/indexing.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { QuantizationPlan } from './plan.js';

/** How calibration turns observed values into ranges. */
export type CalibrationMethod = 'minmax' | 'percentile' | 'mse';

export const CALIBRATION_METHODS: readonly CalibrationMethod[] = ['minmax', 'percentile', 'mse'];

/** Options of {@link calibrate}. */
export interface CalibrationOptions {
  /** Default `percentile`. */
  method?: CalibrationMethod;
  /** For `percentile`: the share of values (in %) the range keeps at each end; default 99.99. */
  percentile?: number;
  /** Samples per forward pass; default 256. */
  batchSize?: number;
}

/** A float range. */
export interface Range {
  min: number;
  max: number;
}

/** Histogram resolution of the percentile and MSE methods. */
const BINS = 2048;

/** Running minimum and maximum, then a histogram over them. */
class Observer {
  min = Infinity;
  max = -Infinity;
  histogram: Float64Array | null = null;

  observeRange(values: ArrayLike<number>): void {
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v < this.min) this.min = v;
      if (v > this.max) this.max = v;
      if (v !== v) this.min = this.max = NaN;
    }
  }

  observeHistogram(values: ArrayLike<number>): void {
    const histogram = (this.histogram ??= new Float64Array(BINS));
    const width = (this.max - this.min) / BINS;
    for (let i = 0; i < values.length; i++) {
      const bin = width > 0 ? Math.floor((values[i]! - this.min) / width) : 0;
      histogram[Math.min(BINS - 1, Math.max(0, bin))]! += 1;
    }
  }

  /** The value below which `share` of the observations lie (interpolated within its bin). */
  quantile(share: number): number {
    const histogram = this.histogram!;
    const total = histogram.reduce((a, b) => a + b, 0);
    const width = (this.max - this.min) / BINS;
    let seen = 0;
    for (let b = 0; b < BINS; b++) {
      if (seen + histogram[b]! >= share * total) return this.min + width * (b + (share * total - seen) / Math.max(histogram[b]!, 1));
      seen += histogram[b]!;
    }
    return this.max;
  }

  /** Expected squared error of quantizing the histogram to 256 levels over [lo, hi] (rounding within, clipping outside). */
  quantizationError(lo: number, hi: number): number {
    const histogram = this.histogram!;
    const width = (this.max - this.min) / BINS;
    const step = (Math.max(hi, 0) - Math.min(lo, 0)) / 255;
    let error = 0;
    for (let b = 0; b < BINS; b++) {
      const count = histogram[b]!;
      if (count === 0) continue;
      const center = this.min + width * (b + 0.5);
      const clipped = center < lo ? lo - center : center > hi ? center - hi : 0;
      error += count * (clipped * clipped + (step * step) / 12);
    }
    return error;
  }
}

/** A float batch as chunks of at most `batchSize` samples. */
function* chunks(data: Tensor | readonly Tensor[], batchSize: number): Generator<Tensor> {
  for (const batch of Array.isArray(data) ? data : [data as Tensor]) {
    const n = batch.shape[0] ?? 0;
    for (let start = 0; start < n; start += batchSize) yield n <= batchSize ? batch : slice(batch, [[start, Math.min(n, start + batchSize)]]);
  }
}

function sampleCount(data: Tensor | readonly Tensor[]): number {
  return (Array.isArray(data) ? data : [data as Tensor]).reduce((sum, t) => sum + (t.shape[0] ?? 0), 0);
}

/**
 * Observes the activations at the plan's range points over the calibration samples and returns their
 * ranges by layer index (−1: the model's input), with the number of samples seen.
 * @throws ArgumentError for no samples, a method or percentile out of range, samples with NaN, or
 *   constant samples (no range can be estimated from them)
 */
export function calibrate(model: SpecModel, plan: QuantizationPlan, data: Tensor | readonly Tensor[], options: CalibrationOptions = {}): { ranges: Map<number, Range>; samples: number } {
  const method = options.method ?? 'percentile';
  if (!CALIBRATION_METHODS.includes(method)) throw new ArgumentError(`calibrate: method must be one of ${CALIBRATION_METHODS.join(', ')}, got ${JSON.stringify(method)}`);
  const percentile = options.percentile ?? 99.99;
  if (!(percentile > 50 && percentile <= 100)) throw new ArgumentError(`calibrate: percentile must be in (50, 100], got ${percentile}`);
  const batchSize = options.batchSize ?? 256;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new ArgumentError(`calibrate: batchSize must be a positive integer, got ${batchSize}`);
  const samples = sampleCount(data);
  if (samples === 0) throw new ArgumentError('calibrate: no calibration samples; pass a batch of real inputs (a few hundred is typical)');

  const observers = new Map(plan.rangePoints.map((p) => [p, new Observer()]));
  const pass = (observe: (o: Observer, values: ArrayLike<number>) => void): void => {
    model.eval();
    noGrad(() => {
      for (const batch of chunks(data, batchSize)) {
        let x = batch;
        const input = observers.get(-1);
        if (input) observe(input, x.contiguousData());
        model.layers.forEach((layer, i) => {
          x = layer.forward(x);
          const o = observers.get(i);
          if (o) observe(o, x.contiguousData());
        });
      }
    });
  };
  pass((o, values) => o.observeRange(values));
  for (const [point, o] of observers) {
    const where = point === -1 ? 'the model input' : `the output of layer ${point} (${model.spec.layers[point]!.type})`;
    if (Number.isNaN(o.min)) throw new ArgumentError(`calibrate: ${where} holds NaN over the calibration samples; calibrate on clean data`);
    if (o.min === o.max) {
      throw new ArgumentError(
        `calibrate: ${where} is constant (every value is ${o.min}) over the ${samples} calibration samples, so no range can be estimated; calibrate on real, varied samples`,
      );
    }
  }
  if (method !== 'minmax') pass((o, values) => o.observeHistogram(values));
  const ranges = new Map<number, Range>();
  for (const [point, o] of observers) ranges.set(point, method === 'minmax' ? { min: o.min, max: o.max } : method === 'percentile' ? percentileRange(o, percentile) : mseRange(o));
  return { ranges, samples };
}

function percentileRange(o: Observer, percentile: number): Range {
  const share = percentile / 100;
  return { min: o.min >= 0 ? o.min : o.quantile(1 - share), max: o.max <= 0 ? o.max : o.quantile(share) };
}

/** Shrinks [min, max] towards 0 by factors 1, 0.99, …, 0.2 and keeps the range of least expected error. */
function mseRange(o: Observer): Range {
  let best = { min: o.min, max: o.max };
  let bestError = Infinity;
  for (let step = 0; step <= 80; step++) {
    const factor = 1 - step / 100;
    const candidate = { min: o.min * factor, max: o.max * factor };
    const error = o.quantizationError(candidate.min, candidate.max);
    if (error < bestError) [best, bestError] = [candidate, error];
  }
  return best;
}
