/** Model compression: INT8 quantization, pruning (unstructured, N:M, structured channels) with schedules, and distillation. */
export * from './quantize/index.js';
export { prunableWeights, type PrunableWeight } from './prune/prunable.js';
export { setMask, maskOf, applyMasks, bake } from './prune/masks.js';
export { magnitudeMasks, nmMask, type PruningScope } from './prune/magnitude.js';
export { pruneMagnitude, pruneNM, type MagnitudePruningOptions, type NMPruningOptions } from './prune/prune.js';
export {
  oneShot, iterative, polynomialDecay,
  type PruningSchedule, type OneShotOptions, type IterativeOptions, type PolynomialDecayOptions,
} from './prune/schedules.js';
export { PruningCallback, type PruningCallbackOptions } from './prune/pruning-callback.js';
export { type ChannelNorm, type ChannelSelection, type SkippedLayer } from './prune/channels.js';
export { pruneChannels, type ChannelPruningOptions, type ChannelPruningResult, type PrunedLayer } from './prune/structured.js';
export {
  maskChannels, keptChannels, removeMaskedChannels, type ChannelMaskOptions, type ChannelMasking,
} from './prune/channel-masks.js';
export { sparsityReport, type WeightSparsity } from './prune/sparsity.js';
export { distillationLoss, type DistillationLossOptions } from './distill/distillation-loss.js';
export { distill, type DistillOptions } from './distill/distill.js';
export { measureModel, measureEnsemble, formatMeasurements, formatSparseLayers, type ModelMeasurement, type MeasureOptions } from './measure.js';
