/**
 * Quantization parameters: unsigned 8-bit affine activations (a scale and a zero point covering a range
 * that always contains 0, so zero — ReLU's floor, convolution padding — is exact) and signed 8-bit
 * symmetric weights with one scale per output channel.
 */
import { roundHalfEven } from '../../backend/js/int8.js';
import { ArgumentError } from '../../errors.js';

/** How a float range maps to u8: `q = clamp(round(x / scale) + zeroPoint, 0, 255)`. */
export interface AffineQParams {
  /** A float32 value. */
  scale: number;
  zeroPoint: number;
}

/** The largest magnitude of a symmetric int8 weight: −127…127, so the range is symmetric about 0. */
export const INT8_WEIGHT_MAX = 127;

/**
 * The u8 parameters covering [lo, hi], widened to include 0.
 * @throws ArgumentError naming `where` when the range is not finite or is a single point (every value
 *   0): no scale can be derived from it
 */
export function affineQParams(lo: number, hi: number, where: string): AffineQParams {
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || lo > hi) {
    throw new ArgumentError(`${where}: the observed range [${lo}, ${hi}] is not a finite interval; calibrate on data without NaN or Inf`);
  }
  const low = Math.min(lo, 0);
  const high = Math.max(hi, 0);
  const scale = Math.fround((high - low) / 255);
  if (!(scale > 0) || !Number.isFinite(1 / scale)) {
    throw new ArgumentError(
      `${where}: every observed value is ${low === 0 && high === 0 ? '0' : `within [${low}, ${high}]`}, so there is no range to quantize; calibrate on real, varied samples`,
    );
  }
  const zeroPoint = Math.min(255, Math.max(0, roundHalfEven(-low / scale)));
  return { scale, zeroPoint };
}

/** Per-output-channel scales of weights `[channels, …]`: max |w| / 127, and 1 for an all-zero channel (a pruned one). */
export function symmetricScales(w: Float32Array, channels: number): Float32Array {
  const per = w.length / channels;
  const scales = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    let max = 0;
    for (let i = c * per; i < (c + 1) * per; i++) max = Math.max(max, Math.abs(w[i]!));
    scales[c] = max > 0 ? Math.fround(max / INT8_WEIGHT_MAX) : 1;
  }
  return scales;
}

/** Weights `[channels, …]` as int8 under per-channel scales: `clamp(round(w / scale), −127, 127)`. */
export function quantizeWeights(w: Float32Array, scales: Float32Array): Int8Array {
  const per = w.length / scales.length;
  const q = new Int8Array(w.length);
  for (let i = 0; i < w.length; i++) {
    const v = roundHalfEven(Math.fround(w[i]! / scales[Math.floor(i / per)]!));
    q[i] = Math.max(-INT8_WEIGHT_MAX, Math.min(INT8_WEIGHT_MAX, v));
  }
  return q;
}
