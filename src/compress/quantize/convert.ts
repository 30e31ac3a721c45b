/**
 * Conversion: a float model, its plan and its activation ranges become a {@link QuantizedModel}. Weights
 * get per-channel symmetric int8 scales, biases become int32 in the accumulator's units, convolution weights
 * move to channels-last order and a linear layer after a flatten gets its columns in the order the
 * channels-last features arrive.
 */
import { roundHalfEven } from '../../backend/js/int8.js';
import { noGrad } from '../../autograd/grad-mode.js';
import type { Conv2d } from '../../nn/layers/conv2d.js';
import type { Linear } from '../../nn/layers/linear.js';
import type { BatchNorm1d, BatchNorm2d } from '../../nn/layers/normalization.js';
import type { QParams } from '../../nn/quantized/activation.js';
import { DynamicQuantizedLinear } from '../../nn/quantized/dynamic-linear.js';
import { Dequantize, Quantize } from '../../nn/quantized/edges.js';
import { FloatStage } from '../../nn/quantized/float-stage.js';
import { QuantizedConv2d, QuantizedLinear, type IntegerWeights, type QuantizedConvSettings } from '../../nn/quantized/integer-layers.js';
import { QuantizedLookup } from '../../nn/quantized/lookup.js';
import { QuantizedAvgPool2d, QuantizedFlatten, QuantizedMaxPool2d, type PoolSettings } from '../../nn/quantized/pass-through.js';
import { QuantizedModel, type QuantizationInfo } from '../../nn/quantized/quantized-model.js';
import type { QuantizedStage } from '../../nn/quantized/stage.js';
import { buildModel, type LayerSpec, type SpecModel } from '../../nn/spec.js';
import { conv2dGeometry, pair } from '../../ops/conv.js';
import { fromArray } from '../../tensor/creation.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { Range } from './calibrate.js';
import { foldBatchNorm } from './fold.js';
import type { PlannedStage, QuantizationPlan } from './plan.js';
import { affineQParams, quantizeWeights, symmetricScales } from './qparams.js';

/** Biases are clamped here, well inside what the integer kernels accept with any input zero point folded in. */
const MAX_BIAS = 2 ** 29 - 1;

/** Where conversion stands between stages. */
interface Flow {
  kind: 'float' | 'uint8';
  qparams: QParams | null;
  /** `[C, H, W]` of a u8 activation flattened from channels-last, so the next linear layer's columns follow it. */
  flattenedFrom: [number, number, number] | null;
}

/** Builds the quantized model; `ranges` must hold every range point of the plan. */
export function convertModel(model: SpecModel, plan: QuantizationPlan, ranges: ReadonlyMap<number, Range>, info: QuantizationInfo): QuantizedModel {
  const qparams = (point: number): QParams => {
    const range = ranges.get(point);
    if (range === undefined) throw new RangeError(`convertModel: no range for ${point === -1 ? 'the input' : `layer ${point}`}`);
    return affineQParams(range.min, range.max, point === -1 ? 'the model input' : `the output of layer ${point} (${model.spec.layers[point]!.type})`);
  };
  const stages: QuantizedStage[] = [];
  let flow: Flow = { kind: 'float', qparams: null, flattenedFrom: null };
  let pooled = -1;
  plan.stages.forEach((stage, s) => {
    // A max pooling fused into the convolution before it is already done.
    if (s === pooled) return;
    const integer = stage.kind !== 'float' && stage.kind !== 'dynamicLinear';
    if (integer && flow.kind === 'float') {
      const input = qparams(plan.stages[s - 1]?.layers.at(-1) ?? -1);
      stages.push(new Quantize(input));
      flow = { kind: 'uint8', qparams: input, flattenedFrom: null };
    } else if (!integer && flow.kind === 'uint8') {
      stages.push(new Dequantize());
      flow = { kind: 'float', qparams: null, flattenedFrom: null };
    }
    const next = plan.stages[s + 1];
    const feedsInteger = next !== undefined && next.kind !== 'float' && next.kind !== 'dynamicLinear';
    const producesCodes = stage.kind === 'conv2d' || stage.kind === 'linear' || stage.kind === 'lookup';
    const output = producesCodes && feedsInteger ? qparams(stage.layers.at(-1)!) : null;
    const fusedPool = stage.kind === 'conv2d' && output !== null ? fusablePool(model, next!) : null;
    if (fusedPool !== null) pooled = s + 1;
    flow = convertStage(model, plan, stage, flow, output, stages, fusedPool);
  });
  if (flow.kind === 'uint8') stages.push(new Dequantize());
  return new QuantizedModel(structuredClone(model.spec), [...model.outputShape], stages, info);
}

/** The window of an unpadded max pooling stage, which a convolution with u8 outputs can compute fused; null otherwise. */
function fusablePool(model: SpecModel, stage: PlannedStage): QuantizedConvSettings['maxPool'] {
  if (stage.kind !== 'maxPool2d') return null;
  const pool = poolSettings(model.spec.layers[stage.layers[0]!] as Extract<LayerSpec, { type: 'maxPool2d' }>);
  return pool.padding[0] === 0 && pool.padding[1] === 0 ? { kernel: pool.kernel, stride: pool.stride } : null;
}

function poolSettings(spec: Extract<LayerSpec, { type: 'maxPool2d' | 'avgPool2d' }>): PoolSettings {
  return {
    kernel: pair(spec.kernel, 'kernel', spec.type, 1),
    stride: pair(spec.stride ?? spec.kernel, 'stride', spec.type, 1),
    padding: pair(spec.padding ?? 0, 'padding', spec.type, 0),
  };
}

function convertStage(
  model: SpecModel,
  plan: QuantizationPlan,
  stage: PlannedStage,
  flow: Flow,
  output: QParams | null,
  stages: QuantizedStage[],
  maxPool: QuantizedConvSettings['maxPool'],
): Flow {
  const layers = model.layers;
  const specs = model.spec.layers;
  const first = stage.layers[0]!;
  switch (stage.kind) {
    case 'conv2d': {
      const conv = layers[stage.main] as Conv2d;
      const spec = specs[stage.main] as Extract<LayerSpec, { type: 'conv2d' }>;
      const [cout, cin, kh, kw] = conv.weight.shape as [number, number, number, number];
      const folded = foldBatchNorm(data(conv.weight), conv.bias ? data(conv.bias) : null, cout, norm(model, stage.batchNorm));
      const weights = integerWeights(folded.weight, folded.bias, cout, flow.qparams!, toChannelsLast(cout, cin, kh, kw), [cout, kh, kw, cin]);
      const [, inH, inW] = plan.shapes[stage.main] as [number, number, number];
      const g = conv2dGeometry([1, cin, inH, inW], conv.weight.shape, { stride: spec.stride, padding: spec.padding, dilation: spec.dilation });
      const bottom = Math.max(0, (g.outH - 1) * g.strideH + g.dilationH * (kh - 1) + 1 - inH - g.padTop);
      const right = Math.max(0, (g.outW - 1) * g.strideW + g.dilationW * (kw - 1) + 1 - inW - g.padLeft);
      const settings: QuantizedConvSettings = { stride: [g.strideH, g.strideW], dilation: [g.dilationH, g.dilationW], padding: [g.padTop, g.padLeft, bottom, right], maxPool };
      stages.push(new QuantizedConv2d(weights, settings, { input: flow.qparams!, output, relu: stage.relu }));
      return { kind: output ? 'uint8' : 'float', qparams: output, flattenedFrom: null };
    }
    case 'linear': {
      const linear = layers[stage.main] as Linear;
      const [out, inFeatures] = linear.weight.shape as [number, number];
      const folded = foldBatchNorm(data(linear.weight), linear.bias ? data(linear.bias) : null, out, norm(model, stage.batchNorm));
      const order = flow.flattenedFrom ? channelsLastColumns(out, flow.flattenedFrom) : null;
      const weights = integerWeights(folded.weight, folded.bias, out, flow.qparams!, order, [out, inFeatures]);
      stages.push(new QuantizedLinear(weights, { input: flow.qparams!, output, relu: stage.relu }));
      return { kind: output ? 'uint8' : 'float', qparams: output, flattenedFrom: null };
    }
    case 'maxPool2d':
    case 'avgPool2d': {
      const spec = specs[first] as Extract<LayerSpec, { type: 'maxPool2d' | 'avgPool2d' }>;
      const pool = poolSettings(spec);
      stages.push(spec.type === 'maxPool2d' ? new QuantizedMaxPool2d(pool) : new QuantizedAvgPool2d(pool, spec.countIncludePad ?? true));
      return flow;
    }
    case 'globalAvgPool2d':
      stages.push(new QuantizedAvgPool2d(null));
      return flow;
    case 'flatten': {
      stages.push(new QuantizedFlatten());
      const shape = plan.shapes[first]!;
      return { ...flow, flattenedFrom: shape.length === 3 ? (shape as [number, number, number]) : flow.flattenedFrom };
    }
    case 'identity':
      return flow;
    case 'lookup': {
      const table = lookupTable(layers[first]!.forward.bind(layers[first]), flow.qparams!, output!);
      stages.push(new QuantizedLookup(specs[first]!.type, table, output!));
      return { ...flow, qparams: output };
    }
    case 'float': {
      const sub = buildModel({ input: plan.shapes[first]!, layers: stage.layers.map((i) => structuredClone(specs[i]!)) });
      const state: Record<string, Tensor> = {};
      stage.layers.forEach((i, j) => {
        for (const [name, t] of Object.entries(layers[i]!.stateDict())) state[`${j}.${name}`] = t;
      });
      sub.loadStateDict(state);
      stages.push(new FloatStage(sub));
      return flow;
    }
    case 'dynamicLinear': {
      const linear = layers[first] as Linear;
      const w = data(linear.weight);
      const scales = symmetricScales(w, linear.outFeatures);
      stages.push(new DynamicQuantizedLinear(quantizeWeights(w, scales), scales, linear.bias ? Float32Array.from(data(linear.bias)) : null));
      return flow;
    }
  }
}

function data(t: Tensor): Float32Array {
  const values = t.contiguousData();
  return values instanceof Float32Array ? values : Float32Array.from(values);
}

function norm(model: SpecModel, index: number | null): BatchNorm1d | BatchNorm2d | null {
  return index === null ? null : (model.layers[index] as BatchNorm1d | BatchNorm2d);
}

/**
 * Quantizes folded weights and bias. `order[i]` is the source index of stored element i (a permutation
 * within each output row), or null to keep the order.
 */
function integerWeights(weight: Float32Array, bias: Float32Array, outChannels: number, input: QParams, order: Int32Array | null, shape: number[]): IntegerWeights {
  const scales = symmetricScales(weight, outChannels);
  const codes = quantizeWeights(weight, scales);
  const stored = order === null ? codes : Int8Array.from(order, (source) => codes[source]!);
  const intBias = new Int32Array(outChannels);
  for (let c = 0; c < outChannels; c++) {
    const q = roundHalfEven(bias[c]! / (input.scale * scales[c]!));
    intBias[c] = Math.max(-MAX_BIAS, Math.min(MAX_BIAS, q));
  }
  return { weight: stored, weightShape: shape, weightScale: scales, bias: intBias };
}

/** Source indices taking `[Cout, Cin, kH, kW]` weights to `[Cout, kH, kW, Cin]`. */
function toChannelsLast(cout: number, cin: number, kh: number, kw: number): Int32Array {
  const order = new Int32Array(cout * cin * kh * kw);
  let i = 0;
  for (let o = 0; o < cout; o++) for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let c = 0; c < cin; c++) {
    order[i++] = ((o * cin + c) * kh + y) * kw + x;
  }
  return order;
}

/** Source indices taking linear weight columns from the float model's (c, h, w) order to channels-last (h, w, c). */
function channelsLastColumns(out: number, [c, h, w]: [number, number, number]): Int32Array {
  const features = c * h * w;
  const order = new Int32Array(out * features);
  let i = 0;
  for (let o = 0; o < out; o++) for (let p = 0; p < h * w; p++) for (let ch = 0; ch < c; ch++) order[i++] = o * features + ch * h * w + p;
  return order;
}

/** The output code of every input code: the activation applied to each dequantized input, requantized. */
function lookupTable(activation: (x: Tensor) => Tensor, input: QParams, output: QParams): Uint8Array {
  const inputs = Array.from({ length: 256 }, (_, q) => (q - input.zeroPoint) * input.scale);
  const values = noGrad(() => activation(fromArray([inputs]))).contiguousData();
  return Uint8Array.from(values, (v) => Math.max(0, Math.min(255, roundHalfEven(v / output.scale) + output.zeroPoint)));
}
