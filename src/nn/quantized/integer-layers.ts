/**
 * Convolution and linear layers computed in integers: u8 activations times per-channel s8 weights,
 * accumulated exactly in int32 with an int32 bias, then requantized to the next layer's u8 parameters (ReLU
 * fused as a clamp at the zero point) or dequantized to float32.
 */
import type { Backend, PackedInt8Matrix, Requantization } from '../../backend/backend.js';
import { getBackend } from '../../backend/registry.js';
import { Tensor } from '../../tensor/tensor.js';
import { expectKind, type Activation, type QParams } from './activation.js';
import { FRESH_MEMORY, type StageMemory } from './scratch.js';
import type { QuantizedStage, QuantizedStageSpec } from './stage.js';

/** The integer form of a layer's weights: `w ≈ weight · weightScale[channel]`, `b ≈ bias · inputScale · weightScale[channel]`. */
export interface IntegerWeights {
  /** `[outChannels, …]`, row-major; for a convolution `[Cout, kH, kW, Cin]`. */
  weight: Int8Array;
  weightShape: number[];
  weightScale: Float32Array;
  bias: Int32Array;
}

/** What an integer product needs besides its weights. */
interface ProductSettings {
  input: QParams;
  output: QParams | null;
  relu: boolean;
}

/** Weights packed per backend (a model may outlive a backend switch) and the requantization, worked out once. */
class IntegerProduct {
  readonly n: number;
  readonly k: number;
  readonly requant: Requantization;
  private packed: PackedInt8Matrix | null = null;

  constructor(
    readonly weights: IntegerWeights,
    readonly settings: ProductSettings,
  ) {
    const { weight, weightScale, bias } = weights;
    this.n = weights.weightShape[0]!;
    this.k = weight.length / this.n;
    // The input zero point folds into the bias: Σ (q − z) · w = Σ q · w − z · Σ w.
    const folded = new Int32Array(this.n);
    const scale = new Float32Array(this.n);
    const { input, output } = settings;
    for (let j = 0; j < this.n; j++) {
      let sum = 0;
      for (let p = j * this.k; p < (j + 1) * this.k; p++) sum += weight[p]!;
      folded[j] = bias[j]! - input.zeroPoint * sum;
      const accumulatorScale = input.scale * weightScale[j]!;
      scale[j] = output === null ? accumulatorScale : accumulatorScale / output.scale;
    }
    this.requant = output === null
      ? { kind: 'float32', bias: folded, scale, offset: null }
      : { kind: 'uint8', bias: folded, scale, zeroPoint: output.zeroPoint, min: settings.relu ? output.zeroPoint : 0, max: 255 };
  }

  packedFor(backend: Backend): PackedInt8Matrix {
    if (this.packed?.backend !== backend.name) this.packed = backend.packInt8(this.weights.weight, this.n, this.k);
    return this.packed;
  }

  /** The output array, and the activation it becomes, for `dims` channels-last output dimensions. */
  finish(out: Uint8Array | Float32Array, dims: number[], floatShape: number[]): Activation {
    const { output, relu } = this.settings;
    if (output !== null) return { kind: 'uint8', data: out as Uint8Array, dims, scale: output.scale, zeroPoint: output.zeroPoint, flattenedFrom: null };
    if (relu) for (let i = 0; i < out.length; i++) if (!(out[i]! > 0)) out[i] = 0;
    return { kind: 'float', tensor: toChannelsFirst(out as Float32Array, dims, floatShape) };
  }

  allocate(size: number, memory: StageMemory): Uint8Array | Float32Array {
    return this.settings.output === null ? new Float32Array(size) : memory.u8(size);
  }

  tensors(): Record<string, Tensor> {
    const { weight, weightShape, weightScale, bias } = this.weights;
    return {
      weight: new Tensor(weight, weightShape),
      weightScale: new Tensor(weightScale, [this.n]),
      bias: new Tensor(bias, [this.n]),
    };
  }
}

/** float32 channels-last `[N, H, W, C]` (or `[N, F]`) as a tensor of the float layout `floatShape`. */
function toChannelsFirst(data: Float32Array, dims: number[], floatShape: number[]): Tensor {
  if (dims.length !== 4) return new Tensor(data, floatShape);
  const [n, h, w, c] = dims as [number, number, number, number];
  const out = new Float32Array(data.length);
  for (let image = 0; image < n; image++) {
    for (let p = 0; p < h * w; p++) {
      for (let ch = 0; ch < c; ch++) out[(image * c + ch) * h * w + p] = data[(image * h * w + p) * c + ch]!;
    }
  }
  return new Tensor(out, floatShape);
}

/** Convolution settings of a {@link QuantizedConv2d}. */
export interface QuantizedConvSettings {
  stride: [number, number];
  dilation: [number, number];
  /** [top, left, bottom, right]. */
  padding: [number, number, number, number];
  /** Max pooling fused into the output (no padding), or null. Needs u8 outputs. */
  maxPool: { kernel: [number, number]; stride: [number, number] } | null;
}

export class QuantizedConv2d implements QuantizedStage {
  private readonly product: IntegerProduct;

  constructor(
    weights: IntegerWeights,
    readonly conv: QuantizedConvSettings,
    settings: ProductSettings,
  ) {
    if (conv.maxPool !== null && settings.output === null) throw new RangeError('QuantizedConv2d: a fused max pooling needs u8 outputs');
    this.product = new IntegerProduct(weights, settings);
  }

  /** Output `[outH, outW]` for an input of `[inH, inW]`, after the fused pooling if any. */
  outputSize(inH: number, inW: number): [number, number] {
    const [convH, convW] = this.convolutionSize(inH, inW);
    const pool = this.conv.maxPool;
    if (pool === null) return [convH, convW];
    return [Math.floor((convH - pool.kernel[0]) / pool.stride[0]) + 1, Math.floor((convW - pool.kernel[1]) / pool.stride[1]) + 1];
  }

  /** The convolution's own output `[outH, outW]`, before any pooling. */
  private convolutionSize(inH: number, inW: number): [number, number] {
    const [, kh, kw] = this.product.weights.weightShape as [number, number, number, number];
    const [top, left, bottom, right] = this.conv.padding;
    return [
      Math.floor((inH + top + bottom - this.conv.dilation[0] * (kh - 1) - 1) / this.conv.stride[0]) + 1,
      Math.floor((inW + left + right - this.conv.dilation[1] * (kw - 1) - 1) / this.conv.stride[1]) + 1,
    ];
  }

  run(activation: Activation, memory: StageMemory = FRESH_MEMORY): Activation {
    const x = expectKind(activation, 'uint8', 'QuantizedConv2d');
    const [n, inH, inW, inChannels] = x.dims as [number, number, number, number];
    const [, kernelH, kernelW] = this.product.weights.weightShape as [number, number, number, number];
    const [convH, convW] = this.convolutionSize(inH, inW);
    const [outH, outW] = this.outputSize(inH, inW);
    const outChannels = this.product.n;
    const backend = getBackend();
    const out = this.product.allocate(n * outH * outW * outChannels, memory);
    const g = {
      batch: n, inChannels, inH, inW, outChannels, kernelH, kernelW,
      strideH: this.conv.stride[0], strideW: this.conv.stride[1],
      padTop: this.conv.padding[0], padLeft: this.conv.padding[1],
      dilationH: this.conv.dilation[0], dilationW: this.conv.dilation[1],
      groups: 1, outH: convH, outW: convW,
    };
    const pool = this.conv.maxPool;
    const { requant } = this.product;
    if (pool !== null && requant.kind === 'uint8') {
      const window = { kernelH: pool.kernel[0], kernelW: pool.kernel[1], strideH: pool.stride[0], strideW: pool.stride[1], outH, outW };
      backend.qconv2dMaxPool(g, window, x.data, x.zeroPoint, this.product.packedFor(backend), requant, out as Uint8Array);
    } else {
      backend.qconv2d(g, x.data, x.zeroPoint, this.product.packedFor(backend), requant, out);
    }
    return this.product.finish(out, [n, outH, outW, outChannels], [n, outChannels, outH, outW]);
  }

  toJSON(): QuantizedStageSpec {
    const { relu, output } = this.product.settings;
    const { maxPool, ...conv } = this.conv;
    return { type: 'conv2d', ...conv, relu, output, ...(maxPool === null ? {} : { maxPool }) };
  }

  tensors(): Record<string, Tensor> {
    return this.product.tensors();
  }

  describe(): string {
    const [cout, kh, kw, cin] = this.product.weights.weightShape;
    const pool = this.conv.maxPool === null ? '' : `, MaxPool ${this.conv.maxPool.kernel.join('×')}`;
    return `QuantizedConv2d(${cin}→${cout}, ${kh}×${kw}${this.product.settings.relu ? ', ReLU' : ''}${pool}, ${this.product.settings.output ? 'u8' : 'float'} out)`;
  }
}

export class QuantizedLinear implements QuantizedStage {
  private readonly product: IntegerProduct;

  constructor(weights: IntegerWeights, settings: ProductSettings) {
    this.product = new IntegerProduct(weights, settings);
  }

  run(activation: Activation, memory: StageMemory = FRESH_MEMORY): Activation {
    const x = expectKind(activation, 'uint8', 'QuantizedLinear');
    const [m, k] = x.dims as [number, number];
    const n = this.product.n;
    const backend = getBackend();
    const out = this.product.allocate(m * n, memory);
    backend.qgemm({ m, a: x.data, aOffset: 0, lda: k, w: this.product.packedFor(backend), requant: this.product.requant, out, outOffset: 0, ldo: n });
    return this.product.finish(out, [m, n], [m, n]);
  }

  toJSON(): QuantizedStageSpec {
    const { relu, output } = this.product.settings;
    return { type: 'linear', relu, output };
  }

  tensors(): Record<string, Tensor> {
    return this.product.tensors();
  }

  describe(): string {
    return `QuantizedLinear(${this.product.k}→${this.product.n}${this.product.settings.relu ? ', ReLU' : ''}, ${this.product.settings.output ? 'u8' : 'float'} out)`;
  }
}
