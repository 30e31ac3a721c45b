/**
 * Kiln: train, shrink and serve neural networks in TypeScript.
 *
 * Tensors with tape autograd on pluggable compute backends; modules, losses, optimizers and a training
 * loop with callbacks and resumable checkpoints.
 * @packageDocumentation
 */
import './autograd/tensor-backward.js';
import './ops/tensor-methods.js';

export * from './errors.js';
export { Tensor, type GradFn, type NestedArray } from './tensor/tensor.js';
export { type DType, DTYPES, isFloat, promoteTypes } from './tensor/dtype.js';
export { type Shape, broadcastShapes, sizeOf } from './tensor/shape.js';
export { Generator, type GeneratorState, defaultGenerator, manualSeed } from './tensor/random.js';
export * from './tensor/creation.js';

export { noGrad, enableGrad, isGradEnabled } from './autograd/grad-mode.js';
export { backward, type BackwardOptions } from './autograd/backward.js';

export { add, sub, mul, div, pow, maximum, minimum } from './ops/arithmetic.js';
export { neg, exp, log, sqrt, rsqrt, abs, sign, square, reciprocal, clamp } from './ops/unary-math.js';
export { eq, ne, lt, le, gt, ge, where } from './ops/compare.js';
export { relu, leakyRelu, elu, gelu, sigmoid, tanh, softplus, softmax, logSoftmax } from './ops/activations.js';
export {
  sum, mean, max, min, argmax, argmin, variance, std, logSumExp,
  type Axes, type ReduceOptions, type VarianceOptions,
} from './ops/reduce.js';
export { matmul } from './ops/matmul.js';
export { linear } from './ops/linear.js';
export { conv2d, type Conv2dOptions, type Size2d } from './ops/conv.js';
export { maxPool2d, avgPool2d, globalAvgPool2d, type Pool2dOptions, type AvgPool2dOptions } from './ops/pool.js';
export { reshape, flatten, squeeze, unsqueeze, permute, transpose, expand, contiguous, toType } from './ops/shape.js';
export { concat, stack, split } from './ops/join.js';
export { slice, pad, gather, indexSelect, oneHot, type SliceEntry } from './ops/indexing.js';
export { dropout, type DropoutOptions } from './ops/dropout.js';
export { batchNorm, type BatchNormOptions } from './ops/batch-norm.js';
export { softmaxCrossEntropy, type Reduction, type SoftmaxCrossEntropyOptions } from './ops/softmax-cross-entropy.js';
export { layerNorm } from './ops/layer-norm.js';
export type { TensorLike } from './ops/primitives.js';

export * from './nn/index.js';
export * from './losses/index.js';
export * from './optim/index.js';
export * from './train/index.js';
export * from './data/index.js';
export * from './compress/index.js';
export {
  saveModel, loadModelFile, readModelMetadata, encodeModelFile, decodeModelFile,
  MODEL_FORMAT, MODEL_FORMAT_VERSION, MAX_SAMPLE_ELEMENTS,
  type ModelFileContent, type LoadedModel, type ModelMetadata, type ModelTask, type InputSpec, type ImageInputSpec,
  type TabularInputSpec, type TensorInputSpec, type ImageNormalizerJSON, type Provenance,
} from './io/model-file.js';
export * from './infer/index.js';
export { saveSafetensors, loadSafetensors, encodeSafetensors, decodeSafetensors, type SafetensorsContent } from './io/safetensors.js';

export type { Backend, FusedActivation } from './backend/backend.js';
export { getBackend, setBackend, availableBackends, backendChoice } from './backend/registry.js';
