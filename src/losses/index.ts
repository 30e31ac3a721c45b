/**
 * Kiln's loss functions, with PyTorch 1.13 semantics, and a registry that finds them by name.
 * @packageDocumentation
 */
export type { ReductionOptions } from './reduce-loss.js';
export { crossEntropy, type CrossEntropyOptions } from './cross-entropy.js';
export { nllLoss, type NllLossOptions } from './nll.js';
export { binaryCrossEntropyWithLogits, type BinaryCrossEntropyWithLogitsOptions } from './binary-cross-entropy.js';
export {
  mseLoss,
  l1Loss,
  huberLoss,
  smoothL1Loss,
  type HuberLossOptions,
  type SmoothL1LossOptions,
} from './regression.js';
export { klDivLoss, type KlDivLossOptions, type KlDivReduction } from './kl-div.js';
export {
  lossFromName,
  isLossName,
  LOSS_NAMES,
  type LossName,
  type LossFunction,
  type LossOptionsByName,
  type TensorOption,
} from './registry.js';
