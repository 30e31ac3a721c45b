/** The edges of an integer region: float → u8 on the way in, u8 → float on the way out. */
import { getBackend } from '../../backend/registry.js';
import { DataError } from '../../errors.js';
import { Tensor } from '../../tensor/tensor.js';
import { expectKind, type Activation, type QParams } from './activation.js';
import { FRESH_MEMORY, type StageMemory } from './scratch.js';
import type { QuantizedStage, QuantizedStageSpec } from './stage.js';

/** Float activations (NCHW or `[N, features]`) to channels-last u8. */
export class Quantize implements QuantizedStage {
  constructor(readonly output: QParams) {}

  run(activation: Activation, memory: StageMemory = FRESH_MEMORY): Activation {
    const { tensor } = expectKind(activation, 'float', 'Quantize');
    const data = tensor.dtype === 'float32' ? (tensor.contiguousData() as Float32Array) : Float32Array.from(tensor.contiguousData());
    for (let i = 0; i < data.length; i++) {
      if (data[i] !== data[i]) throw new DataError(`quantized model: input value ${i} of the batch is NaN; integer inference needs real numbers`);
    }
    const [n, channels = 1, h = 1, w = 1] = tensor.shape as number[];
    const out = memory.u8(data.length);
    getBackend().quantize({ batch: n!, channels, plane: h * w }, data, this.output.scale, this.output.zeroPoint, out);
    const dims = tensor.ndim === 4 ? [n!, h, w, channels] : [n!, channels];
    return { kind: 'uint8', data: out, dims, ...this.output, flattenedFrom: null };
  }

  toJSON(): QuantizedStageSpec {
    return { type: 'quantize', output: this.output };
  }

  tensors(): Record<string, Tensor> {
    return {};
  }

  describe(): string {
    return `Quantize(scale=${this.output.scale.toPrecision(4)}, zeroPoint=${this.output.zeroPoint})`;
  }
}

/** u8 back to float32 in the float model's layout. */
export class Dequantize implements QuantizedStage {
  run(activation: Activation): Activation {
    const x = expectKind(activation, 'uint8', 'Dequantize');
    const out = new Float32Array(x.data.length);
    const n = x.dims[0]!;
    let shape: number[];
    let channels: number, plane: number;
    if (x.dims.length === 4) {
      const [, h, w, c] = x.dims as [number, number, number, number];
      [channels, plane, shape] = [c, h * w, [n, c, h, w]];
    } else if (x.flattenedFrom !== null) {
      const [c, h, w] = x.flattenedFrom;
      [channels, plane, shape] = [c, h * w, [n, c * h * w]];
    } else {
      [channels, plane, shape] = [x.dims[1]!, 1, [n, x.dims[1]!]];
    }
    getBackend().dequantize({ batch: n, channels, plane }, x.data, x.scale, x.zeroPoint, out);
    return { kind: 'float', tensor: new Tensor(out, shape) };
  }

  toJSON(): QuantizedStageSpec {
    return { type: 'dequantize' };
  }

  tensors(): Record<string, Tensor> {
    return {};
  }

  describe(): string {
    return 'Dequantize';
  }
}
