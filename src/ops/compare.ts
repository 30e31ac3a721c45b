import { record } from '../autograd/graph.js';
import { DTypeError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { asTensor, binaryKernel, gradientFor, whereKernel, type TensorLike } from './primitives.js';

/*
 * Comparisons return uint8 masks (1 where true) and carry no gradient.
 */

/** a == b elementwise. */
export function eq(a: TensorLike, b: TensorLike): Tensor {
  return binaryKernel('eq', a, b, 'eq');
}

/** a != b elementwise. */
export function ne(a: TensorLike, b: TensorLike): Tensor {
  return binaryKernel('ne', a, b, 'ne');
}

/** a < b elementwise. */
export function lt(a: TensorLike, b: TensorLike): Tensor {
  return binaryKernel('lt', a, b, 'lt');
}

/** a <= b elementwise. */
export function le(a: TensorLike, b: TensorLike): Tensor {
  return binaryKernel('le', a, b, 'le');
}

/** a > b elementwise. */
export function gt(a: TensorLike, b: TensorLike): Tensor {
  return binaryKernel('gt', a, b, 'gt');
}

/** a >= b elementwise. */
export function ge(a: TensorLike, b: TensorLike): Tensor {
  return binaryKernel('ge', a, b, 'ge');
}

/** Picks a where `condition` is non-zero, b elsewhere; all three broadcast together. */
export function where(condition: Tensor, a: TensorLike, b: TensorLike): Tensor {
  if (condition.dtype !== 'uint8') {
    throw new DTypeError(`where: condition must be a uint8 mask (from a comparison like gt), got ${condition.dtype}`);
  }
  const ta = asTensor(a, b);
  const tb = asTensor(b, ta);
  return record('where', [ta, tb], whereKernel(condition, ta, tb), (g) => [
    ta.requiresGrad ? gradientFor(whereKernel(condition, g, 0), ta) : null,
    tb.requiresGrad ? gradientFor(whereKernel(condition, 0, g), tb) : null,
  ]);
}
