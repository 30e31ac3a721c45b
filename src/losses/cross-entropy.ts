import { fusedSoftmaxCrossEntropy } from '../ops/softmax-cross-entropy.js';
import type { Tensor } from '../tensor/tensor.js';
import { resolveReduction, type ReductionOptions } from './reduce-loss.js';

/** Options of {@link crossEntropy}. */
export interface CrossEntropyOptions extends ReductionOptions {
  /**
   * Per-class weights, a 1-D tensor with one entry per class. Each position's loss is scaled by the weight of
   * its target class, and 'mean' divides by the sum of the weights of the counted targets (PyTorch).
   * Weights are constants: no gradient flows to them.
   */
  weight?: Tensor;
  /**
   * Class-index targets equal to this value are skipped: no loss, no gradient, not counted by 'mean'.
   * Default −100, as in PyTorch.
   */
  ignoreIndex?: number;
  /** ε in [0, 1] (default 0): the target becomes (1 − ε) · target + ε / C. */
  labelSmoothing?: number;
}

/**
 * Cross-entropy from unnormalized logits, with PyTorch 1.13's `F.cross_entropy` semantics. Classes lie along
 * dimension 1: logits [N, C] or [N, C, d1, …] (e.g. [N, C, H, W] for segmentation).
 *
 * Targets are integer class indices of shape [N] (or [N, d1, …]), or float class probabilities of the logits'
 * shape (soft labels, e.g. from a teacher or mixup). 'none' returns one loss per position. Fused with its
 * own backward and computed from log-softmax, so it stays finite for logits of ±1000.
 *
 * @throws DTypeError for float targets of the index shape or integer logits; ShapeError for targets that
 *   fit neither form; ArgumentError for out-of-range class indices, weights of the wrong length or a
 *   labelSmoothing outside [0, 1].
 */
export function crossEntropy(logits: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const reduction = resolveReduction('crossEntropy', options);
  return fusedSoftmaxCrossEntropy('crossEntropy', logits, target, reduction, {
    weight: options.weight,
    ignoreIndex: options.ignoreIndex ?? -100,
    labelSmoothing: options.labelSmoothing,
  });
}
