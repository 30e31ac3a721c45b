/**
 * Declarative model specifications: plain JSON that names layers and their settings, with sizes that
 * follow from the input shape inferred rather than written (`{"type":"linear","out":128}` needs no `in`).
 * The CLI trains from them and model files store them, so a saved model is rebuilt without user code.
 */
import { noGrad } from '../autograd/grad-mode.js';
import { KilnError, SpecError } from '../errors.js';
import type { Size2d } from '../ops/conv.js';
import { zeros } from '../tensor/creation.js';
import { defaultGenerator, Generator } from '../tensor/random.js';
import { formatShape, type Shape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import {
  ELU, GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Softplus, Tanh,
} from './layers/activations.js';
import { Residual, Sequential } from './layers/containers.js';
import { Conv2d } from './layers/conv2d.js';
import { Dropout } from './layers/dropout.js';
import { Embedding } from './layers/embedding.js';
import { Flatten } from './layers/flatten.js';
import { Linear } from './layers/linear.js';
import { BatchNorm1d, BatchNorm2d, LayerNorm } from './layers/normalization.js';
import { AvgPool2d, GlobalAvgPool2d, MaxPool2d } from './layers/pooling.js';
import type { Module } from './module.js';

/** One layer of a {@link ModelSpec}; sizes of the input are inferred. */
export type LayerSpec =
  | { type: 'linear'; out: number; bias?: boolean }
  | {
      type: 'conv2d';
      out: number;
      kernel: Size2d;
      stride?: Size2d;
      padding?: Size2d | 'same' | 'valid';
      dilation?: Size2d;
      groups?: number;
      bias?: boolean;
    }
  | { type: 'maxPool2d'; kernel: Size2d; stride?: Size2d; padding?: Size2d }
  | { type: 'avgPool2d'; kernel: Size2d; stride?: Size2d; padding?: Size2d; countIncludePad?: boolean }
  | { type: 'globalAvgPool2d' }
  | { type: 'flatten' }
  | { type: 'dropout'; p?: number }
  | { type: 'batchNorm1d' | 'batchNorm2d'; eps?: number; momentum?: number }
  | { type: 'layerNorm'; eps?: number }
  | { type: 'embedding'; num: number; dim: number }
  | { type: 'relu' | 'gelu' | 'sigmoid' | 'tanh' | 'softplus' }
  | { type: 'leakyRelu'; slope?: number }
  | { type: 'elu'; alpha?: number }
  | { type: 'softmax' | 'logSoftmax'; axis?: number }
  | { type: 'residual'; body: LayerSpec[]; shortcut?: LayerSpec[] };

/** A whole model: the shape of one input sample (without the batch dimension) and its layers in order. */
export interface ModelSpec {
  input: number[];
  layers: LayerSpec[];
}

type LayerType = LayerSpec['type'];

/** Allowed keys per layer type (besides `type`), to catch typos such as `"outt"`. */
const KEYS: Record<LayerType, readonly string[]> = {
  linear: ['out', 'bias'],
  conv2d: ['out', 'kernel', 'stride', 'padding', 'dilation', 'groups', 'bias'],
  maxPool2d: ['kernel', 'stride', 'padding'],
  avgPool2d: ['kernel', 'stride', 'padding', 'countIncludePad'],
  globalAvgPool2d: [],
  flatten: [],
  dropout: ['p'],
  batchNorm1d: ['eps', 'momentum'],
  batchNorm2d: ['eps', 'momentum'],
  layerNorm: ['eps'],
  embedding: ['num', 'dim'],
  relu: [],
  gelu: [],
  sigmoid: [],
  tanh: [],
  softplus: [],
  leakyRelu: ['slope'],
  elu: ['alpha'],
  softmax: ['axis'],
  logSoftmax: ['axis'],
  residual: ['body', 'shortcut'],
};

/** Fields a layer type cannot do without. */
const REQUIRED: Partial<Record<LayerType, readonly string[]>> = {
  linear: ['out'],
  conv2d: ['out', 'kernel'],
  maxPool2d: ['kernel'],
  avgPool2d: ['kernel'],
  embedding: ['num', 'dim'],
  residual: ['body'],
};

/** The layer type names a spec may use. */
export const LAYER_TYPES = Object.keys(KEYS) as LayerType[];

/** A model built from a spec; it keeps the spec so it can be saved and rebuilt. */
export class SpecModel extends Sequential {
  constructor(
    readonly spec: ModelSpec,
    readonly outputShape: number[],
    layers: Module[],
  ) {
    super(...layers);
  }
}

/** Options of {@link buildModel}. */
export interface BuildOptions {
  /** Generator of the initial weights (the default generator when omitted). */
  generator?: Generator;
  /** Shorthand for a fresh generator with this seed. */
  seed?: number;
}

/**
 * Builds and initializes the model a spec describes, checking every layer against the shape that reaches
 * it. Errors name the layer's path (`layers[3]`, `layers[2].body[0]`) and what does not fit.
 */
export function buildModel(spec: ModelSpec, options: BuildOptions = {}): SpecModel {
  if (typeof spec !== 'object' || spec === null || !Array.isArray(spec.layers)) {
    throw new SpecError('model spec: expected an object { "input": [...], "layers": [...] }');
  }
  if (!Array.isArray(spec.input) || spec.input.length === 0 || !spec.input.every((d) => Number.isInteger(d) && d > 0)) {
    throw new SpecError(`model spec: "input" must be the shape of one sample, e.g. [1, 28, 28], got ${JSON.stringify(spec.input)}`);
  }
  const generator = options.generator ?? (options.seed !== undefined ? new Generator(options.seed) : defaultGenerator);
  const { modules, shape } = buildLayers(spec.layers, spec.input, 'layers', generator);
  return new SpecModel(structuredClone(spec), shape, modules);
}

function buildLayers(
  specs: readonly LayerSpec[],
  input: readonly number[],
  path: string,
  generator: Generator,
): { modules: Module[]; shape: number[] } {
  let shape = [...input];
  const modules: Module[] = [];
  specs.forEach((layer, i) => {
    const where = `${path}[${i}]`;
    checkPaddedSize(layer, shape, where);
    const module = buildLayer(layer, shape, where, generator);
    shape = outputShape(module, shape, where);
    modules.push(module);
  });
  return { modules, shape };
}

/** The most values one padded sample may have; far beyond any real model, it stops absurd specs early. */
export const MAX_PADDED_ELEMENTS = 2 ** 26;

/**
 * Refuses convolution or pooling padding that would blow one sample up beyond {@link MAX_PADDED_ELEMENTS}
 * before the shape probe allocates it (a model file must not be able to exhaust memory this way).
 */
function checkPaddedSize(layer: LayerSpec, shape: readonly number[], where: string): void {
  if (layer === null || typeof layer !== 'object' || !['conv2d', 'maxPool2d', 'avgPool2d'].includes(layer.type)) return;
  const padding = (layer as { padding?: unknown }).padding;
  const [ph, pw] = typeof padding === 'number' ? [padding, padding] : Array.isArray(padding) ? padding : [0, 0];
  if (typeof ph !== 'number' || typeof pw !== 'number' || shape.length !== 3) return;
  const [c, h, w] = shape as [number, number, number];
  const padded = c * (h + 2 * ph) * (w + 2 * pw);
  if (padded > MAX_PADDED_ELEMENTS) {
    throw new SpecError(`${where} (${layer.type}): padding [${ph},${pw}] on input ${formatShape(shape)} makes ${padded} values per sample, more than ${MAX_PADDED_ELEMENTS}`);
  }
}

/** Runs one sample of zeros through the layer (evaluation mode, no graph) to learn its output shape. */
function outputShape(module: Module, input: Shape, where: string): number[] {
  const wasTraining = module.training;
  module.eval();
  try {
    const probe: Tensor = noGrad(() => module.forward(zeros([1, ...input], { dtype: module.inputDType() })));
    return probe.shape.slice(1);
  } catch (error) {
    throw new SpecError(`${where}: ${module.describe()} does not fit its input of shape ${formatShape(input)} — ${(error as Error).message}`);
  } finally {
    module.train(wasTraining);
  }
}

function buildLayer(layer: LayerSpec, shape: number[], where: string, generator: Generator): Module {
  if (typeof layer !== 'object' || layer === null || typeof layer.type !== 'string') {
    throw new SpecError(`${where}: expected an object with a "type", got ${JSON.stringify(layer)}`);
  }
  // hasOwn, not KEYS[type] alone: "constructor" or "__proto__" would find Object's prototype members.
  if (!Object.hasOwn(KEYS, layer.type)) {
    throw new SpecError(`${where}: unknown layer type "${layer.type}"; known types: ${LAYER_TYPES.join(', ')}`);
  }
  const allowed = KEYS[layer.type];
  const unknown = Object.keys(layer).filter((k) => k !== 'type' && !allowed.includes(k));
  if (unknown.length) {
    throw new SpecError(`${where} (${layer.type}): unknown field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; allowed: ${allowed.join(', ') || 'none'}`);
  }
  const missing = (REQUIRED[layer.type] ?? []).filter((k) => (layer as Record<string, unknown>)[k] === undefined);
  if (missing.length) {
    throw new SpecError(`${where} (${layer.type}): missing required field${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  }
  const channels = (): number => {
    if (shape.length < 1) throw new SpecError(`${where} (${layer.type}): needs an input with a channel dimension, got ${formatShape(shape)}`);
    return shape[0]!;
  };
  try {
    switch (layer.type) {
      case 'linear':
        return new Linear(shape[shape.length - 1]!, layer.out, { bias: layer.bias, generator });
      case 'conv2d': {
        const { out, kernel, stride, padding, dilation, groups, bias } = layer;
        return new Conv2d(channels(), out, kernel, { stride, padding, dilation, groups, bias, generator });
      }
      case 'maxPool2d':
        return new MaxPool2d(layer.kernel, { stride: layer.stride, padding: layer.padding });
      case 'avgPool2d':
        return new AvgPool2d(layer.kernel, { stride: layer.stride, padding: layer.padding, countIncludePad: layer.countIncludePad });
      case 'globalAvgPool2d':
        return new GlobalAvgPool2d();
      case 'flatten':
        return new Flatten();
      case 'dropout':
        // Dropout draws from the default generator, which fit() seeds and checkpoints save.
        return new Dropout(layer.p ?? 0.5);
      case 'batchNorm1d':
        return new BatchNorm1d(channels(), { eps: layer.eps, momentum: layer.momentum });
      case 'batchNorm2d':
        return new BatchNorm2d(channels(), { eps: layer.eps, momentum: layer.momentum });
      case 'layerNorm':
        return new LayerNorm(shape[shape.length - 1]!, layer.eps);
      case 'embedding':
        return new Embedding(layer.num, layer.dim, { generator });
      case 'relu':
        return new ReLU();
      case 'gelu':
        return new GELU();
      case 'sigmoid':
        return new Sigmoid();
      case 'tanh':
        return new Tanh();
      case 'softplus':
        return new Softplus();
      case 'leakyRelu':
        return new LeakyReLU(layer.slope);
      case 'elu':
        return new ELU(layer.alpha);
      case 'softmax':
        return new Softmax(layer.axis);
      case 'logSoftmax':
        return new LogSoftmax(layer.axis);
      case 'residual': {
        if (!Array.isArray(layer.body)) throw new SpecError(`${where} (residual): "body" must be a list of layers`);
        const body = buildLayers(layer.body, shape, `${where}.body`, generator);
        const shortcut = layer.shortcut ? buildLayers(layer.shortcut, shape, `${where}.shortcut`, generator) : null;
        return new Residual(new Sequential(...body.modules), shortcut ? new Sequential(...shortcut.modules) : null);
      }
    }
  } catch (error) {
    if (error instanceof KilnError && !(error instanceof SpecError)) throw new SpecError(`${where} (${layer.type}): ${error.message}`);
    throw error;
  }
}
