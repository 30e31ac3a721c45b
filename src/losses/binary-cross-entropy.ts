import { add, mul, sub } from '../ops/arithmetic.js';
import { softplus } from '../ops/activations.js';
import { neg } from '../ops/unary-math.js';
import { toType } from '../ops/shape.js';
import { assertFloat, isFloat } from '../tensor/dtype.js';
import type { Tensor } from '../tensor/tensor.js';
import { elementWeight, matchingTarget } from './checks.js';
import { reduceLoss, resolveReduction, type ReductionOptions } from './reduce-loss.js';

/** Options of {@link binaryCrossEntropyWithLogits}. */
export interface BinaryCrossEntropyWithLogitsOptions extends ReductionOptions {
  /** Rescales each element's loss; broadcasts to the logits' shape (e.g. [N, 1] or [C] for logits [N, C]). */
  weight?: Tensor;
  /**
   * Weight of the positive term, broadcast along the last (class) dimension: [C] for logits [N, C]. Above 1
   * it raises recall, below 1 precision; neg / pos counts balance a skewed label.
   */
  posWeight?: Tensor;
}

/**
 * Binary cross-entropy from logits, with PyTorch's `F.binary_cross_entropy_with_logits` semantics:
 * −weight · (posWeight · t · log σ(x) + (1 − t) · log(1 − σ(x))) elementwise, for targets t in [0, 1] of the
 * logits' exact shape (integer 0/1 labels are converted). Computed as
 * weight · (posWeight · t · softplus(−x) + (1 − t) · softplus(x)), which never takes log(σ(x)), never
 * overflows and keeps full precision where σ(x) rounds to 0 or 1.
 *
 * @throws ShapeError when the target's shape differs from the logits' (no broadcasting) or a weight does not
 *   broadcast to it.
 */
export function binaryCrossEntropyWithLogits(
  logits: Tensor,
  target: Tensor,
  options: BinaryCrossEntropyWithLogitsOptions = {},
): Tensor {
  const op = 'binaryCrossEntropyWithLogits';
  const reduction = resolveReduction(op, options);
  assertFloat(logits.dtype, `${op}: logits`);
  const t = matchingTarget(op, logits, isFloat(target.dtype) ? target : toType(target, logits.dtype), 'logits');
  const positive = options.posWeight === undefined ? t : mul(elementWeight(op, 'posWeight', options.posWeight, logits.shape, logits.dtype), t);
  let loss = add(mul(positive, softplus(neg(logits))), mul(sub(1, t), softplus(logits)));
  if (options.weight !== undefined) loss = mul(loss, elementWeight(op, 'weight', options.weight, logits.shape, logits.dtype));
  return reduceLoss(loss, reduction);
}
