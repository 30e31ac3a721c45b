import { ShapeError } from '../errors.js';
import { formatShape, sameShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { add, mul, sub } from './arithmetic.js';
import { mean } from './reduce.js';
import { rsqrt, square } from './unary-math.js';

/**
 * Layer normalization (Ba et al. 2016) over the trailing dimensions given by `normalizedShape`: each
 * sample is normalized with its own mean and biased variance, then scaled and shifted by `weight` and
 * `bias` (of shape normalizedShape) when given. Composed from differentiable ops, so gradients are exact.
 */
export function layerNorm(
  x: Tensor,
  normalizedShape: readonly number[],
  weight: Tensor | null = null,
  bias: Tensor | null = null,
  eps = 1e-5,
): Tensor {
  const k = normalizedShape.length;
  const trailing = x.shape.slice(x.ndim - k);
  if (k === 0 || k > x.ndim || trailing.some((d, i) => d !== normalizedShape[i])) {
    throw new ShapeError(`layerNorm: input ${formatShape(x.shape)} must end in the normalized shape ${formatShape(normalizedShape)}`);
  }
  // A weight or bias of another shape would broadcast silently (a [4] weight over normalized [3, 4]).
  for (const [name, t] of [['weight', weight], ['bias', bias]] as const) {
    if (t !== null && !sameShape(t.shape, normalizedShape)) {
      throw new ShapeError(`layerNorm: ${name} must have the normalized shape ${formatShape(normalizedShape)}, got ${formatShape(t.shape)}`);
    }
  }
  const axes = trailing.map((_, i) => x.ndim - k + i);
  const centered = sub(x, mean(x, axes, { keepDim: true }));
  let out = mul(centered, rsqrt(add(mean(square(centered), axes, { keepDim: true }), eps)));
  if (weight) out = mul(out, weight);
  if (bias) out = add(out, bias);
  return out;
}
