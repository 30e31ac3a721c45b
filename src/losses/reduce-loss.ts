import { assertReduction, type Reduction } from '../ops/softmax-cross-entropy.js';
import { mean, sum } from '../ops/reduce.js';
import type { Tensor } from '../tensor/tensor.js';

/** Options shared by every loss: how the per-element losses are combined. */
export interface ReductionOptions {
  /** 'mean' (default) averages over all elements, 'sum' adds them, 'none' returns them unreduced. */
  reduction?: Reduction;
}

/** The checked reduction of `options` ('mean' when omitted). */
export function resolveReduction(op: string, options: ReductionOptions): Reduction {
  const reduction = options.reduction ?? 'mean';
  assertReduction(op, reduction);
  return reduction;
}

/** Combines elementwise losses: their mean (NaN when empty, as in PyTorch), sum, or themselves. */
export function reduceLoss(perElement: Tensor, reduction: Reduction): Tensor {
  if (reduction === 'none') return perElement;
  return reduction === 'sum' ? sum(perElement) : mean(perElement);
}
