import { noGrad } from '../autograd/grad-mode.js';
import { getBackend } from '../backend/registry.js';
import { ArgumentError, ShapeError } from '../errors.js';
import { formatShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { add, mul, sub } from './arithmetic.js';
import { mean } from './reduce.js';
import { reshape } from './shape.js';
import { rsqrt, square } from './unary-math.js';

/** Options of {@link batchNorm}. */
export interface BatchNormOptions {
  /** Normalize with the batch's statistics and update the running ones (true), or use the running ones. */
  training: boolean;
  /** Weight of the new batch statistic in the running average (PyTorch's convention), default 0.1. */
  momentum?: number;
  /** Added to the variance for numerical stability, default 1e-5. */
  eps?: number;
}

/**
 * Batch normalization over the channel dimension 1 of [N, C, …] input. In training, normalizes with the
 * batch mean and biased variance and updates `runningMean` / `runningVar` in place (the variance with
 * Bessel's correction, as PyTorch does); in evaluation, normalizes with the running statistics. `weight`
 * and `bias` ([C]) scale and shift the result when given. Gradients come from composing differentiable
 * ops, so they are exact for every input.
 */
export function batchNorm(
  x: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  weight: Tensor | null,
  bias: Tensor | null,
  options: BatchNormOptions,
): Tensor {
  if (x.ndim < 2) throw new ShapeError(`batchNorm: input must be [batch, channels, ...], got ${formatShape(x.shape)}`);
  const channels = x.shape[1]!;
  for (const [name, t] of [['runningMean', runningMean], ['runningVar', runningVar], ['weight', weight], ['bias', bias]] as const) {
    if (t !== null && (t.ndim !== 1 || t.shape[0] !== channels)) {
      throw new ShapeError(`batchNorm: ${name} must have shape [${channels}] for input ${formatShape(x.shape)}, got ${formatShape(t.shape)}`);
    }
  }
  const momentum = options.momentum ?? 0.1;
  const eps = options.eps ?? 1e-5;
  const axes = x.shape.map((_, d) => d).filter((d) => d !== 1);
  const perChannel = x.shape.map((d, i) => (i === 1 ? d : 1));
  let centered: Tensor;
  let variance: Tensor;
  if (options.training) {
    const count = x.size / channels;
    if (count <= 1) throw new ArgumentError(`batchNorm: training needs more than one value per channel, got input ${formatShape(x.shape)}`);
    const batchMean = mean(x, axes, { keepDim: true });
    centered = sub(x, batchMean);
    variance = mean(square(centered), axes, { keepDim: true });
    noGrad(() => {
      if (runningMean) updateInPlace(runningMean, add(mul(runningMean, 1 - momentum), mul(reshape(batchMean, [channels]), momentum)));
      if (runningVar) {
        const unbiased = mul(reshape(variance, [channels]), count / (count - 1));
        updateInPlace(runningVar, add(mul(runningVar, 1 - momentum), mul(unbiased, momentum)));
      }
    });
  } else {
    if (runningMean === null || runningVar === null) {
      throw new ArgumentError('batchNorm: evaluation needs runningMean and runningVar (or pass training: true)');
    }
    centered = sub(x, reshape(runningMean, perChannel));
    variance = reshape(runningVar, perChannel);
  }
  let out = mul(centered, rsqrt(add(variance, eps)));
  if (weight) out = mul(out, reshape(weight, perChannel));
  if (bias) out = add(out, reshape(bias, perChannel));
  return out;
}

/** Overwrites the elements of a state buffer (running statistics live in their module's tensors). */
function updateInPlace(target: Tensor, value: Tensor): void {
  getBackend().copy(value.view(), value.shape, target.view());
}
