/**
 * The activation observer of quantization-aware training: it tracks an activation's range as a moving
 * average of each training batch's minimum and maximum (PyTorch's MovingAverageMinMaxObserver), freezes it
 * in evaluation mode, and fake-quantizes the activation to the u8 grid that range gives.
 */
import { DataError } from '../../errors.js';
import { Module } from '../../nn/module.js';
import { fakeQuantize } from '../../ops/fake-quantize.js';
import { Tensor } from '../../tensor/tensor.js';
import type { Range } from './calibrate.js';
import { affineQParams, type AffineQParams } from './qparams.js';

/**
 * The step used when every value seen so far is 0 (a layer whose ReLU output was all 0): float32's
 * epsilon, as PyTorch does, so training goes on; converting such a range still fails, with its reason.
 */
const DEGENERATE_SCALE = 2 ** -23;

/**
 * Observes one activation and fake-quantizes it. In training mode each batch's minimum and maximum move
 * the range by `averagingConstant` of the difference (the first batch sets it); in evaluation mode the
 * range stays as it is. The range and the number of samples seen are buffers, so they are saved and
 * restored with the model's state (checkpoints included).
 */
export class MovingAverageMinMaxObserver extends Module {
  /** `[min, max]` of the activation (float64); NaN until the first observation. */
  readonly range: Tensor;
  /** How many samples the range was estimated from. */
  readonly samples: Tensor;

  /**
   * @param where what is observed, for error messages (`the output of layer 1 (relu)`)
   * @param averagingConstant the weight of a new batch's minimum and maximum, in (0, 1]
   */
  constructor(
    readonly where: string,
    readonly averagingConstant: number,
  ) {
    super();
    this.range = new Tensor(Float64Array.from([NaN, NaN]), [2]);
    this.samples = new Tensor(new Float64Array(1), [1]);
  }

  /** The range observed so far, or null before any observation. */
  observed(): Range | null {
    const [min, max] = this.range.data as Float64Array;
    return Number.isNaN(min!) ? null : { min: min!, max: max! };
  }

  /** Sets the range outright (from calibration), as if `samples` samples had been observed. */
  setRange(range: Range, samples: number): void {
    this.range.data.set([range.min, range.max]);
    this.samples.data[0] = samples;
  }

  /**
   * Moves the range towards the batch's minimum and maximum (sets it on the first batch).
   * @throws DataError when the batch holds NaN or an infinity: no range can include it
   */
  observe(x: Tensor): void {
    const values = x.contiguousData();
    if (values.length === 0) return;
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v < min) min = v;
      if (v > max) max = v;
      if (v !== v) min = NaN;
    }
    if (!Number.isFinite(min) || !Number.isFinite(max)) {
      throw new DataError(
        `quantization-aware training: ${this.where} holds ${Number.isNaN(min) ? 'NaN' : 'an infinite value'} in this batch, so its range cannot be tracked; ` +
          'training has diverged (try a lower learning rate) or the data holds NaN/Inf',
      );
    }
    const current = this.observed();
    const c = this.averagingConstant;
    this.range.data.set(current === null ? [min, max] : [current.min + c * (min - current.min), current.max + c * (max - current.max)]);
    this.samples.data[0]! += x.shape[0] ?? 1;
  }

  /**
   * The range observed so far.
   * @throws DataError before any observation
   */
  requireObserved(): Range {
    const range = this.observed();
    if (range === null) {
      throw new DataError(
        `quantization-aware training: ${this.where} has not been observed yet; run training steps (train mode) ` +
          'or pass calibration samples to prepareQat before evaluating or converting',
      );
    }
    return range;
  }

  /** The u8 parameters of the observed range (widened to include 0, as the converter widens it). */
  qparams(): AffineQParams {
    const range = this.requireObserved();
    if (Math.min(range.min, 0) === Math.max(range.max, 0)) return { scale: DEGENERATE_SCALE, zeroPoint: 0 };
    return affineQParams(range.min, range.max, `quantization-aware training: ${this.where}`);
  }

  /** Observes `x` in training mode, then fake-quantizes it to u8 codes under the current range. */
  forward(x: Tensor): Tensor {
    if (this.training) this.observe(x);
    const { scale, zeroPoint } = this.qparams();
    return fakeQuantize(x, scale, zeroPoint, 0, 255);
  }

  override describe(): string {
    const range = this.observed();
    return `MovingAverageMinMaxObserver(${this.where}, ${range === null ? 'not observed' : `[${range.min.toPrecision(4)}, ${range.max.toPrecision(4)}]`})`;
  }
}
