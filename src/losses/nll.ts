import { ShapeError } from '../errors.js';
import { div, mul } from '../ops/arithmetic.js';
import { where } from '../ops/compare.js';
import { gather } from '../ops/indexing.js';
import { sum } from '../ops/reduce.js';
import { squeeze, unsqueeze } from '../ops/shape.js';
import { classWeights, resolveClassTargets } from '../ops/softmax-cross-entropy.js';
import { cast } from '../ops/primitives.js';
import { assertFloat } from '../tensor/dtype.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { resolveReduction, type ReductionOptions } from './reduce-loss.js';

/** Options of {@link nllLoss}. */
export interface NllLossOptions extends ReductionOptions {
  /** Per-class weights (1-D, one per class); 'mean' divides by the sum of the counted targets' weights. */
  weight?: Tensor;
  /** Targets equal to this value are skipped: no loss, no gradient, not counted. Default −100. */
  ignoreIndex?: number;
}

/**
 * Negative log-likelihood of integer class targets under log-probabilities (e.g. the output of
 * `logSoftmax(x, 1)`), with PyTorch's `F.nll_loss` semantics: loss = −weight[y] · input[n, y]. Classes lie
 * along dimension 1: input [N, C] or [N, C, d1, …] with targets [N] or [N, d1, …].
 *
 * @throws DTypeError for float targets; ShapeError for targets of the wrong shape; ArgumentError for
 *   out-of-range class indices or weights of the wrong length.
 */
export function nllLoss(logProbabilities: Tensor, target: Tensor, options: NllLossOptions = {}): Tensor {
  const op = 'nllLoss';
  const reduction = resolveReduction(op, options);
  assertFloat(logProbabilities.dtype, `${op}: logProbabilities`);
  if (logProbabilities.ndim < 2) {
    throw new ShapeError(
      `${op}: logProbabilities must be [batch, classes, ...], got ${formatShape(logProbabilities.shape)}; ` +
        'for a single sample add a batch dimension with unsqueeze(logProbabilities, 0)',
    );
  }
  const classes = logProbabilities.shape[1]!;
  const weight = options.weight === undefined ? null : classWeights(op, options.weight, classes);
  const targets = resolveClassTargets(op, logProbabilities.shape, 'logProbabilities', target, options.ignoreIndex ?? -100, weight);
  // Ignored positions (label −1) gather class 0 and are then masked out.
  const safeLabels = new Tensor(targets.labels.map((label) => Math.max(label, 0)), target.shape);
  const picked = squeeze(gather(logProbabilities, 1, unsqueeze(safeLabels, 1)), 1);
  const negatedWeights = cast(new Tensor(targets.positionWeights.map((w) => -w), target.shape), logProbabilities.dtype);
  let perPosition = mul(picked, negatedWeights);
  if (targets.ignoredCount > 0) {
    // A mask rather than the zero weight alone, so that an ignored −∞ log-probability gives 0, not NaN.
    const counted = new Tensor(Uint8Array.from(targets.labels, (label) => (label >= 0 ? 1 : 0)), target.shape);
    perPosition = where(counted, perPosition, 0);
  }
  if (reduction === 'none') return perPosition;
  const total = sum(perPosition);
  return reduction === 'sum' ? total : div(total, targets.totalWeight);
}
