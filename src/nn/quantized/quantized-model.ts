/**
 * A model quantized to 8-bit integers: a chain of stages (integer convolutions and linear layers, u8
 * pooling and lookup tables, float islands, quantize/dequantize at their edges) that takes and returns float
 * tensors exactly like the float model it was made from, whose architecture it keeps.
 */
import { noGrad } from '../../autograd/grad-mode.js';
import { ArgumentError, SpecError } from '../../errors.js';
import { formatShape, sameShape } from '../../tensor/shape.js';
import type { DType } from '../../tensor/dtype.js';
import type { Generator } from '../../tensor/random.js';
import type { Tensor } from '../../tensor/tensor.js';
import { buildModel, type LayerSpec, type ModelSpec } from '../spec.js';
import type { Activation, QParams } from './activation.js';
import { DynamicQuantizedLinear } from './dynamic-linear.js';
import { Dequantize, Quantize } from './edges.js';
import { FloatStage } from './float-stage.js';
import { QuantizedConv2d, QuantizedLinear, type IntegerWeights } from './integer-layers.js';
import { QuantizedLookup } from './lookup.js';
import { QuantizedAvgPool2d, QuantizedFlatten, QuantizedMaxPool2d } from './pass-through.js';
import { ScratchBuffers } from './scratch.js';
import type { QuantizedStage, QuantizedStageSpec } from './stage.js';

/** How the model was quantized, as stored in a model file's metadata (`quantization`). */
export interface QuantizationInfo {
  /** `static`: calibrated activation ranges (or learned by quantization-aware training); `dynamic`: per batch. */
  mode: 'static' | 'dynamic';
  /** How activation ranges were chosen: `minmax`, `percentile`, `mse`, `qat`; null for dynamic. */
  method: string | null;
  /** Samples the ranges were calibrated on; null when not calibrated. */
  calibrationSamples: number | null;
}

/** What a model file stores of a quantized model besides its tensors. */
export interface QuantizationMetadata extends QuantizationInfo {
  stages: QuantizedStageSpec[];
}

export class QuantizedModel {
  /**
   * @param spec the float model's architecture (its input and output shapes are this model's)
   * @param outputShape one sample's output shape
   */
  constructor(
    readonly spec: ModelSpec,
    readonly outputShape: number[],
    readonly stages: QuantizedStage[],
    readonly info: QuantizationInfo,
  ) {}

  /** The stages' intermediate u8 activations, kept between calls. */
  private readonly scratch = new ScratchBuffers();

  /**
   * Runs a float batch `[N, ...input]` through the stages; gradients are never recorded. The returned tensor
   * is the caller's; intermediate activations live in buffers the model reuses on its next call.
   */
  forward(x: Tensor): Tensor {
    return noGrad(() => {
      let activation: Activation = { kind: 'float', tensor: x };
      for (const [i, stage] of this.stages.entries()) activation = stage.run(activation, { u8: (size) => this.scratch.u8(i, size) });
      if (activation.kind !== 'float') throw new TypeError('QuantizedModel: the last stage must produce float outputs');
      return activation.tensor;
    });
  }

  /** Quantized models only run in evaluation mode. */
  readonly training = false;

  /** Quantized models only run in evaluation mode; kept so they stand in for float models. */
  eval(): this {
    return this;
  }

  /**
   * Only `train(false)` is allowed.
   * @throws ArgumentError for `train(true)`: integer models are not trained
   */
  train(mode = true): this {
    if (mode) throw new ArgumentError('QuantizedModel cannot be trained; fine-tune the float model, or use prepareQat for quantization-aware training');
    return this;
  }

  /** Stored weight values: int8 weights and biases of the integer stages, and the parameters of float stages. */
  parameterCount(): number {
    return this.stages.reduce((sum, stage) => sum + Object.entries(stage.tensors())
      .filter(([name]) => name !== 'table' && name !== 'weightScale' && !/running(Mean|Var)$/.test(name))
      .reduce((n, [, t]) => n + t.size, 0), 0);
  }

  /** The share of int8 weights that are zero (pruned weights stay zero when quantized). */
  weightSparsity(): number {
    let zeros = 0, total = 0;
    for (const stage of this.stages) {
      const weight = stage.tensors()['weight'];
      if (weight?.dtype !== 'int8') continue;
      for (const v of weight.contiguousData()) if (v === 0) zeros++;
      total += weight.size;
    }
    return total === 0 ? 0 : zeros / total;
  }

  inputDType(): DType {
    return 'float32';
  }

  /** The metadata a model file stores for this model. */
  metadata(): QuantizationMetadata {
    return { ...this.info, stages: this.stages.map((s) => s.toJSON()) };
  }

  /** Every tensor, named `stages.<i>.<name>`. */
  tensors(): Record<string, Tensor> {
    const all: Record<string, Tensor> = {};
    this.stages.forEach((stage, i) => {
      for (const [name, t] of Object.entries(stage.tensors())) all[`stages.${i}.${name}`] = t;
    });
    return all;
  }

  /** Bytes of every tensor (weights, scales, biases, tables). */
  byteSize(): number {
    return Object.values(this.tensors()).reduce((sum, t) => sum + t.contiguousData().byteLength, 0);
  }

  /** One line per stage. */
  summary(): string {
    return this.stages.map((s, i) => `${i}: ${s.describe()}`).join('\n');
  }
}

type Fail = (problem: string) => never;

/** What flows out of each stage while a stored model is rebuilt. */
interface Flow {
  kind: 'float' | 'uint8';
  qparams: QParams | null;
  /** One sample's shape in the float model's layout. */
  shape: number[];
}

function isQParams(value: unknown): value is QParams {
  if (typeof value !== 'object' || value === null) return false;
  const { scale, zeroPoint } = value as Record<string, unknown>;
  return typeof scale === 'number' && scale > 0 && Number.isFinite(scale) && Math.fround(scale) === scale &&
    Number.isInteger(zeroPoint) && (zeroPoint as number) >= 0 && (zeroPoint as number) <= 255;
}

function isPair(value: unknown, min: number): value is [number, number] {
  return Array.isArray(value) && value.length === 2 && value.every((v) => Number.isInteger(v) && v >= min && v <= 4096);
}

/**
 * Rebuilds a quantized model from a model file's architecture, quantization metadata and tensors,
 * checking every stage against what reaches it and every tensor's type and shape; every tensor must be used.
 * Problems go to `fail` (which throws), named by stage. `generator` initializes float stages before their
 * weights are loaded (a budgeted one stops a corrupt file from asking for huge layers).
 */
export function buildQuantizedModel(architecture: ModelSpec, metadata: unknown, tensors: Record<string, Tensor>, fail: Fail, generator?: Generator): QuantizedModel {
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) fail('quantization must be an object or null');
  const m = metadata as Record<string, unknown>;
  if (m['mode'] !== 'static' && m['mode'] !== 'dynamic') fail(`quantization.mode must be "static" or "dynamic", found ${JSON.stringify(m['mode'])}`);
  if (m['method'] !== null && typeof m['method'] !== 'string') fail('quantization.method must be a string or null');
  const samples = m['calibrationSamples'];
  if (samples !== null && !(Number.isSafeInteger(samples) && (samples as number) > 0)) fail('quantization.calibrationSamples must be a positive integer or null');
  const specs = m['stages'];
  if (!Array.isArray(specs) || specs.length === 0) fail('quantization.stages must be a non-empty list');
  const used = new Set<string>();
  const take = ((i: number, name: string, dtype: string, shape: number[] | null, optional = false): Tensor | null => {
    const key = `stages.${i}.${name}`;
    const t = Object.hasOwn(tensors, key) ? tensors[key] : undefined;
    if (t === undefined) return optional ? null : fail(`stage ${i}: the tensor '${key}' is missing`);
    if (t.dtype !== dtype) fail(`stage ${i}: '${key}' is ${t.dtype}, expected ${dtype}`);
    if (shape !== null && !sameShape(t.shape, shape)) fail(`stage ${i}: '${key}' has shape ${formatShape(t.shape)}, expected ${formatShape(shape)}`);
    used.add(key);
    return t;
  }) as Take;
  let flow: Flow = { kind: 'float', qparams: null, shape: [...architecture.input] };
  const stages = (specs as unknown[]).map((spec, i) => {
    const built = buildStage(spec, i, flow, take, fail, generator);
    flow = built.flow;
    return built.stage;
  });
  if (flow.kind !== 'float') fail('the last stage must produce float outputs (end with dequantize or a float-output layer)');
  const extra = Object.keys(tensors).filter((name) => !used.has(name));
  if (extra.length) fail(`tensors that no stage uses: ${extra.slice(0, 5).join(', ')}${extra.length > 5 ? ', …' : ''}`);
  return new QuantizedModel(structuredClone(architecture), flow.shape, stages, {
    mode: m['mode'], method: m['method'] as string | null, calibrationSamples: samples as number | null,
  });
}

/** Takes a stage's tensor, checking its type and shape; an optional one that is absent gives null. */
interface Take {
  (i: number, name: string, dtype: string, shape: number[] | null): Tensor;
  (i: number, name: string, dtype: string, shape: number[] | null, optional: true): Tensor | null;
}

function integerWeights(i: number, take: Take, shape: number[], fail: Fail): IntegerWeights {
  const weight = take(i, 'weight', 'int8', shape);
  const weightScale = take(i, 'weightScale', 'float32', [shape[0]!]).contiguousData() as Float32Array;
  if (!weightScale.every((s) => s > 0 && Number.isFinite(s))) fail(`stage ${i}: weight scales must be positive finite numbers`);
  const bias = take(i, 'bias', 'int32', [shape[0]!]).contiguousData() as Int32Array;
  if (!bias.every((b) => Math.abs(b) < 2 ** 29)) fail(`stage ${i}: biases must stay below 2^29 in magnitude`);
  return { weight: weight.contiguousData() as Int8Array, weightShape: [...weight.shape], weightScale, bias };
}

function buildStage(spec: unknown, i: number, flow: Flow, take: Take, fail: Fail, generator: Generator | undefined): { stage: QuantizedStage; flow: Flow } {
  if (typeof spec !== 'object' || spec === null) fail(`stage ${i} must be an object`);
  const s = spec as Record<string, unknown>;
  const type = s['type'];
  const needs = (kind: Flow['kind'], rank: number | null): void => {
    if (flow.kind !== kind) fail(`stage ${i} (${String(type)}) takes ${kind} values but the stage before it produces ${flow.kind}`);
    if (rank !== null && flow.shape.length !== rank) fail(`stage ${i} (${String(type)}) takes samples of rank ${rank}, got ${formatShape(flow.shape)}`);
  };
  const output = (key: string, nullable: boolean): QParams | null => {
    const v = s[key];
    if (v === null && nullable) return null;
    if (!isQParams(v)) fail(`stage ${i} (${String(type)}): ${key} must be { scale: a positive float32, zeroPoint: 0…255 }${nullable ? ' or null' : ''}`);
    return { scale: v.scale, zeroPoint: v.zeroPoint };
  };
  const relu = (): boolean => {
    if (typeof s['relu'] !== 'boolean') fail(`stage ${i} (${String(type)}): relu must be true or false`);
    return s['relu'] as boolean;
  };
  const next = (out: QParams | null, shape: number[]): Flow => ({ kind: out === null ? 'float' : 'uint8', qparams: out ?? null, shape });
  switch (type) {
    case 'quantize': {
      needs('float', null);
      if (flow.shape.length !== 1 && flow.shape.length !== 3) fail(`stage ${i} (quantize): takes [features] or [C, H, W] samples, got ${formatShape(flow.shape)}`);
      const out = output('output', false)!;
      return { stage: new Quantize(out), flow: next(out, flow.shape) };
    }
    case 'dequantize':
      needs('uint8', null);
      return { stage: new Dequantize(), flow: next(null, flow.shape) };
    case 'conv2d': {
      needs('uint8', 3);
      const [c, h, w] = flow.shape as [number, number, number];
      const { stride, dilation, padding } = s;
      if (!isPair(stride, 1) || !isPair(dilation, 1)) fail(`stage ${i} (conv2d): stride and dilation must be two positive integers`);
      if (!Array.isArray(padding) || padding.length !== 4 || !padding.every((p) => Number.isInteger(p) && p >= 0 && p <= 4096)) fail(`stage ${i} (conv2d): padding must be [top, left, bottom, right]`);
      const weightTensor = take(i, 'weight', 'int8', null);
      if (weightTensor.ndim !== 4) fail(`stage ${i} (conv2d): weight must be 4-D [out, kH, kW, in], got ${formatShape(weightTensor.shape)}`);
      const [cout, kh, kw, cin] = weightTensor.shape as [number, number, number, number];
      if (cin !== c) fail(`stage ${i} (conv2d): weights take ${cin} channels, the input has ${c}`);
      const weights = integerWeights(i, take, [cout, kh, kw, cin], fail);
      const out = output('output', true);
      const maxPool = s['maxPool'];
      if (maxPool !== undefined) {
        const window = maxPool as Record<string, unknown> | null;
        if (typeof window !== 'object' || window === null || !isPair(window['kernel'], 1) || !isPair(window['stride'], 1)) fail(`stage ${i} (conv2d): maxPool must be { kernel: [h, w], stride: [h, w] }`);
        if (out === null) fail(`stage ${i} (conv2d): a fused maxPool needs u8 outputs (output must not be null)`);
      }
      const pool = maxPool === undefined ? null : (maxPool as { kernel: [number, number]; stride: [number, number] });
      const stage = new QuantizedConv2d(weights, { stride, dilation, padding: padding as [number, number, number, number], maxPool: pool }, { input: flow.qparams!, output: out, relu: relu() });
      const [outH, outW] = stage.outputSize(h, w);
      if (outH < 1 || outW < 1) fail(`stage ${i} (conv2d): the ${kh}×${kw} kernel does not fit the ${h}×${w} input`);
      return { stage, flow: next(out, [cout, outH, outW]) };
    }
    case 'linear': {
      needs('uint8', 1);
      const weight = take(i, 'weight', 'int8', null);
      if (weight.ndim !== 2 || weight.shape[1] !== flow.shape[0]) fail(`stage ${i} (linear): weight ${formatShape(weight.shape)} does not take ${flow.shape[0]} features`);
      const weights = integerWeights(i, take, [...weight.shape], fail);
      const out = output('output', true);
      return { stage: new QuantizedLinear(weights, { input: flow.qparams!, output: out, relu: relu() }), flow: next(out, [weight.shape[0]!]) };
    }
    case 'maxPool2d':
    case 'avgPool2d': {
      needs('uint8', 3);
      const { kernel, stride, padding } = s;
      if (!isPair(kernel, 1) || !isPair(stride, 1) || !isPair(padding, 0)) fail(`stage ${i} (${type}): kernel, stride and padding must be pairs of integers`);
      if (2 * padding[0] > kernel[0] || 2 * padding[1] > kernel[1]) fail(`stage ${i} (${type}): padding must be at most half the kernel`);
      const [c, h, w] = flow.shape as [number, number, number];
      const outH = Math.floor((h + 2 * padding[0] - kernel[0]) / stride[0]) + 1;
      const outW = Math.floor((w + 2 * padding[1] - kernel[1]) / stride[1]) + 1;
      if (outH < 1 || outW < 1) fail(`stage ${i} (${type}): the window does not fit the ${h}×${w} input`);
      if (type === 'avgPool2d' && typeof s['countIncludePad'] !== 'boolean') fail(`stage ${i} (avgPool2d): countIncludePad must be true or false`);
      const pool = { kernel, stride, padding };
      const stage = type === 'maxPool2d' ? new QuantizedMaxPool2d(pool) : new QuantizedAvgPool2d(pool, s['countIncludePad'] as boolean);
      return { stage, flow: { ...flow, shape: [c, outH, outW] } };
    }
    case 'globalAvgPool2d':
      needs('uint8', 3);
      return { stage: new QuantizedAvgPool2d(null), flow: { ...flow, shape: [flow.shape[0]!, 1, 1] } };
    case 'flatten':
      needs('uint8', null);
      return { stage: new QuantizedFlatten(), flow: { ...flow, shape: [flow.shape.reduce((a, b) => a * b, 1)] } };
    case 'lookup': {
      needs('uint8', null);
      if (typeof s['activation'] !== 'string') fail(`stage ${i} (lookup): activation must name the float layer type`);
      const table = take(i, 'table', 'uint8', [256]).contiguousData() as Uint8Array;
      const out = output('output', false)!;
      return { stage: new QuantizedLookup(s['activation'], table, out), flow: next(out, flow.shape) };
    }
    case 'float': {
      needs('float', null);
      if (!Array.isArray(s['layers']) || s['layers'].length === 0) fail(`stage ${i} (float): layers must be a non-empty list`);
      let model;
      try {
        model = buildModel({ input: flow.shape, layers: s['layers'] as LayerSpec[] }, { generator });
      } catch (error) {
        if (error instanceof SpecError) fail(`stage ${i} (float): ${error.message}`);
        throw error;
      }
      const state: Record<string, Tensor> = {};
      for (const [name, t] of Object.entries(model.stateDict())) state[name] = take(i, name, t.dtype, [...t.shape]);
      model.loadStateDict(state);
      return { stage: new FloatStage(model), flow: next(null, model.outputShape) };
    }
    case 'dynamicLinear': {
      needs('float', 1);
      const weight = take(i, 'weight', 'int8', null);
      if (weight.ndim !== 2 || weight.shape[1] !== flow.shape[0]) fail(`stage ${i} (dynamicLinear): weight ${formatShape(weight.shape)} does not take ${flow.shape[0]} features`);
      const n = weight.shape[0]!;
      const weightScale = take(i, 'weightScale', 'float32', [n]).contiguousData() as Float32Array;
      if (!weightScale.every((v) => v > 0 && Number.isFinite(v))) fail(`stage ${i}: weight scales must be positive finite numbers`);
      const bias = (take(i, 'bias', 'float32', [n], true)?.contiguousData() as Float32Array | undefined) ?? null;
      return { stage: new DynamicQuantizedLinear(weight.contiguousData() as Int8Array, weightScale, bias), flow: next(null, [n]) };
    }
    default:
      return fail(`stage ${i} has unknown type ${JSON.stringify(type)}`);
  }
}
