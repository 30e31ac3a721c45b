/**
 * Dynamic quantization of a linear layer: int8 weights stored once, the float input quantized per batch
 * from its own range (so no calibration is needed), the integer product dequantized to float with the float
 * bias added. Suits Linear-heavy models whose activations vary too much to calibrate.
 */
import type { PackedInt8Matrix } from '../../backend/backend.js';
import { getBackend } from '../../backend/registry.js';
import { DataError } from '../../errors.js';
import { roundHalfEven } from '../../backend/js/int8.js';
import { Tensor } from '../../tensor/tensor.js';
import { expectKind, type Activation } from './activation.js';
import type { QuantizedStage, QuantizedStageSpec } from './stage.js';

export class DynamicQuantizedLinear implements QuantizedStage {
  readonly n: number;
  readonly k: number;
  private readonly columnSums: Int32Array;
  private packed: PackedInt8Matrix | null = null;

  /**
   * @param weight `[out, in]` int8
   * @param weightScale per output feature
   * @param bias float bias, or null
   */
  constructor(
    readonly weight: Int8Array,
    readonly weightScale: Float32Array,
    readonly bias: Float32Array | null,
  ) {
    this.n = weightScale.length;
    this.k = weight.length / this.n;
    this.columnSums = new Int32Array(this.n);
    for (let j = 0; j < this.n; j++) {
      for (let p = j * this.k; p < (j + 1) * this.k; p++) this.columnSums[j]! += weight[p]!;
    }
  }

  run(input: Activation): Activation {
    const { tensor } = expectKind(input, 'float', 'DynamicQuantizedLinear');
    const x = tensor.dtype === 'float32' ? (tensor.contiguousData() as Float32Array) : Float32Array.from(tensor.contiguousData());
    const m = x.length / this.k;
    let lo = 0, hi = 0;
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      if (!Number.isFinite(v)) throw new DataError(`DynamicQuantizedLinear: input value ${i} is ${v}; integer inference needs finite numbers`);
      if (v < lo) lo = v;
      else if (v > hi) hi = v;
    }
    // An all-zero batch still needs a valid scale; every code is then the zero point.
    const scale = hi > lo ? Math.fround((hi - lo) / 255) : 1;
    const zeroPoint = Math.min(255, Math.max(0, roundHalfEven(-lo / scale)));
    const backend = getBackend();
    const codes = new Uint8Array(x.length);
    backend.quantize({ batch: m, channels: this.k, plane: 1 }, x, scale, zeroPoint, codes);
    if (this.packed?.backend !== backend.name) this.packed = backend.packInt8(this.weight, this.n, this.k);
    const bias = new Int32Array(this.n);
    const scales = new Float32Array(this.n);
    for (let j = 0; j < this.n; j++) {
      bias[j] = -zeroPoint * this.columnSums[j]!;
      scales[j] = scale * this.weightScale[j]!;
    }
    const out = new Float32Array(m * this.n);
    backend.qgemm({
      m, a: codes, aOffset: 0, lda: this.k, w: this.packed,
      requant: { kind: 'float32', bias, scale: scales, offset: this.bias }, out, outOffset: 0, ldo: this.n,
    });
    return { kind: 'float', tensor: new Tensor(out, [...tensor.shape.slice(0, -1), this.n]) };
  }

  toJSON(): QuantizedStageSpec {
    return { type: 'dynamicLinear' };
  }

  tensors(): Record<string, Tensor> {
    const tensors: Record<string, Tensor> = {
      weight: new Tensor(this.weight, [this.n, this.k]),
      weightScale: new Tensor(this.weightScale, [this.n]),
    };
    if (this.bias !== null) tensors.bias = new Tensor(this.bias, [this.n]);
    return tensors;
  }

  describe(): string {
    return `DynamicQuantizedLinear(${this.k}→${this.n})`;
  }
}
