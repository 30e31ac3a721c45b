/**
 * Batch-norm folding: a convolution or linear layer followed by batch norm in evaluation mode is one affine
 * map, `w' = w · γ / √(var + ε)` per output channel and `b' = (b − mean) · γ / √(var + ε) + β`.
 */
import type { BatchNorm1d, BatchNorm2d } from '../../nn/layers/normalization.js';

/** Float weights `[outChannels, …]` and bias of a layer, with any batch norm after it folded in. */
export interface FoldedWeights {
  weight: Float32Array;
  bias: Float32Array;
}

/**
 * Folds `norm` (or nothing, when null) into weights `[outChannels, …]` and an optional bias; the inputs are
 * not modified. Computed in float64, rounded once to float32.
 */
export function foldBatchNorm(weight: Float32Array, bias: Float32Array | null, outChannels: number, norm: BatchNorm1d | BatchNorm2d | null): FoldedWeights {
  const per = weight.length / outChannels;
  const folded = { weight: Float32Array.from(weight), bias: bias ? Float32Array.from(bias) : new Float32Array(outChannels) };
  if (norm === null) return folded;
  const mean = norm.runningMean.contiguousData();
  const variance = norm.runningVar.contiguousData();
  const gamma = norm.weight?.contiguousData() ?? null;
  const beta = norm.bias?.contiguousData() ?? null;
  for (let c = 0; c < outChannels; c++) {
    const factor = (gamma ? gamma[c]! : 1) / Math.sqrt(variance[c]! + norm.eps);
    for (let i = c * per; i < (c + 1) * per; i++) folded.weight[i] = weight[i]! * factor;
    folded.bias[c] = ((bias ? bias[c]! : 0) - mean[c]!) * factor + (beta ? beta[c]! : 0);
  }
  return folded;
}
