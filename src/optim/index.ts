/**
 * Optimizers, gradient clipping and learning-rate schedules, with PyTorch 1.13's update rules and
 * lr formulas.
 */
export {
  Optimizer,
  type ParamGroup,
  type ParamGroupSpec,
  type OptimizerParams,
  type Hyperparameters,
  type HyperparameterValue,
  type ParamState,
  type OptimizerStateDict,
  type ParamGroupStateDict,
} from './optimizer.js';
export { SGD, type SGDGroup, type SGDOptions } from './sgd.js';
export { Adam, type AdamGroup, type AdamOptions } from './adam.js';
export { AdamW, type AdamWOptions } from './adamw.js';
export { RMSprop, type RMSpropGroup, type RMSpropOptions } from './rmsprop.js';
export { Adagrad, type AdagradGroup, type AdagradOptions } from './adagrad.js';
export { clipGradNorm, clipGradValue } from './clip.js';
export { LRScheduler, type LRSchedulerStateDict } from './schedules/lr-scheduler.js';
export { StepLR, type StepLROptions } from './schedules/step-lr.js';
export { MultiStepLR, type MultiStepLROptions } from './schedules/multi-step-lr.js';
export { ExponentialLR, type ExponentialLROptions } from './schedules/exponential-lr.js';
export { CosineAnnealingLR, type CosineAnnealingLROptions } from './schedules/cosine-annealing-lr.js';
export { OneCycleLR, type OneCycleLROptions } from './schedules/one-cycle-lr.js';
export {
  ReduceLROnPlateau,
  type ReduceLROnPlateauOptions,
  type ReduceLROnPlateauStateDict,
} from './schedules/reduce-lr-on-plateau.js';
