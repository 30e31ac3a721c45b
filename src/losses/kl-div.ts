import { ArgumentError } from '../errors.js';
import { div, mul, sub } from '../ops/arithmetic.js';
import { eq, where } from '../ops/compare.js';
import { sum } from '../ops/reduce.js';
import type { Reduction } from '../ops/softmax-cross-entropy.js';
import { exp, log } from '../ops/unary-math.js';
import type { Tensor } from '../tensor/tensor.js';
import { matchingTarget } from './checks.js';
import { reduceLoss } from './reduce-loss.js';

/** Reductions of {@link klDivLoss}: the usual three, plus 'batchmean' (the sum divided by the batch size). */
export type KlDivReduction = Reduction | 'batchmean';

const KL_REDUCTIONS: readonly KlDivReduction[] = ['mean', 'sum', 'none', 'batchmean'];

/** Options of {@link klDivLoss}. */
export interface KlDivLossOptions {
  /**
   * 'mean' (default, as in PyTorch) averages over every element; 'batchmean' divides the sum by the batch
   * size (dimension 0), which is the true KL divergence per sample and what distillation uses.
   */
  reduction?: KlDivReduction;
  /** The target holds log-probabilities too (default false: plain probabilities). */
  logTarget?: boolean;
}

/**
 * Kullback–Leibler divergence KL(target ‖ input) elementwise, with PyTorch's `F.kl_div` semantics: `input`
 * holds log-probabilities (e.g. `logSoftmax(studentLogits / T, 1)`); the target holds probabilities,
 * giving target · (log target − input) with 0 where target = 0 (not NaN), or log-probabilities when
 * `logTarget`, giving exp(target) · (target − input). Target and input must have the same shape.
 * Gradients reach the input and, when it requires them, the target (where target = 0 the t · log t part
 * contributes 0 to it).
 *
 * @throws ShapeError when the shapes differ; ArgumentError for an unknown reduction.
 */
export function klDivLoss(input: Tensor, target: Tensor, options: KlDivLossOptions = {}): Tensor {
  const op = 'klDivLoss';
  const reduction = options.reduction ?? 'mean';
  if (!KL_REDUCTIONS.includes(reduction)) {
    throw new ArgumentError(`${op}: unknown reduction '${String(reduction)}'; expected one of ${KL_REDUCTIONS.map((r) => `'${r}'`).join(', ')}`);
  }
  if (options.logTarget !== undefined && typeof options.logTarget !== 'boolean') {
    throw new ArgumentError(`${op}: logTarget must be true or false, got ${JSON.stringify(options.logTarget)}`);
  }
  const t = matchingTarget(op, input, target, 'input');
  let perElement: Tensor;
  if (options.logTarget) {
    perElement = mul(exp(t), sub(t, input));
  } else {
    // xlogy(t, t) = t · log t with 0 at t = 0: log reads 1 there, so neither value nor gradient is NaN.
    const entropyTerm = mul(t, log(where(eq(t, 0), 1, t)));
    perElement = sub(entropyTerm, mul(t, input));
  }
  if (reduction !== 'batchmean') return reduceLoss(perElement, reduction);
  // PyTorch divides by input.size(0), leaving a 0-dimensional input's sum as it is.
  return input.ndim === 0 ? sum(perElement) : div(sum(perElement), input.shape[0]!);
}
