/** Modules, layers, initialization and declarative model specs. */
export { Module, type StateDict, type LoadStateDictOptions } from './module.js';
export { Parameter } from './parameter.js';
export * as init from './init.js';
export { Linear, type LinearOptions } from './layers/linear.js';
export { SparseLinear, SPARSE_LINEAR_MIN_SPARSITY } from './layers/sparse-linear.js';
export { Conv2d, type Conv2dLayerOptions } from './layers/conv2d.js';
export { MaxPool2d, AvgPool2d, GlobalAvgPool2d } from './layers/pooling.js';
export { Flatten } from './layers/flatten.js';
export { Dropout } from './layers/dropout.js';
export { BatchNorm1d, BatchNorm2d, LayerNorm, type BatchNormOptions as BatchNormLayerOptions } from './layers/normalization.js';
export { Embedding } from './layers/embedding.js';
export { ReLU, LeakyReLU, ELU, GELU, Sigmoid, Tanh, Softplus, Softmax, LogSoftmax } from './layers/activations.js';
export { Sequential, Residual } from './layers/containers.js';
export { buildModel, SpecModel, LAYER_TYPES, type LayerSpec, type ModelSpec, type BuildOptions } from './spec.js';
export { presetSpec, PRESETS, type PresetName, type PresetOptions } from './presets.js';
export { summarize, formatSummary, type SummaryRow } from './summary.js';
export { QuantizedModel, buildQuantizedModel, type QuantizationInfo, type QuantizationMetadata } from './quantized/quantized-model.js';
export type { QuantizedStage, QuantizedStageSpec } from './quantized/stage.js';
