/**
 * Stages that move u8 values without changing their parameters: pooling (the maximum of codes is the code
 * of the maximum; the mean of codes, rounded, is the code of the mean) and flattening.
 */
import type { Pool2dGeometry } from '../../backend/backend.js';
import { getBackend } from '../../backend/registry.js';
import type { Tensor } from '../../tensor/tensor.js';
import { expectKind, type Activation, type QuantizedActivation } from './activation.js';
import { FRESH_MEMORY, type StageMemory } from './scratch.js';
import type { QuantizedStage, QuantizedStageSpec } from './stage.js';

/** Window settings of a quantized pooling stage. */
export interface PoolSettings {
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
}

function poolGeometry(x: QuantizedActivation, p: PoolSettings): Pool2dGeometry {
  const [batch, inH, inW, channels] = x.dims as [number, number, number, number];
  const [kernelH, kernelW] = p.kernel;
  const [strideH, strideW] = p.stride;
  const [padH, padW] = p.padding;
  const outH = Math.floor((inH + 2 * padH - kernelH) / strideH) + 1;
  const outW = Math.floor((inW + 2 * padW - kernelW) / strideW) + 1;
  return { batch, channels, inH, inW, kernelH, kernelW, strideH, strideW, padH, padW, outH, outW };
}

function pooled(x: QuantizedActivation, g: Pool2dGeometry, data: Uint8Array): QuantizedActivation {
  return { ...x, data, dims: [g.batch, g.outH, g.outW, g.channels] };
}

export class QuantizedMaxPool2d implements QuantizedStage {
  constructor(readonly pool: PoolSettings) {}

  run(activation: Activation, memory: StageMemory = FRESH_MEMORY): Activation {
    const x = expectKind(activation, 'uint8', 'QuantizedMaxPool2d');
    const g = poolGeometry(x, this.pool);
    const out = memory.u8(g.batch * g.outH * g.outW * g.channels);
    getBackend().qmaxPool2d(g, x.data, out);
    return pooled(x, g, out);
  }

  toJSON(): QuantizedStageSpec {
    return { type: 'maxPool2d', ...this.pool };
  }

  tensors(): Record<string, Tensor> {
    return {};
  }

  describe(): string {
    return `QuantizedMaxPool2d(${this.pool.kernel.join('×')})`;
  }
}

/** Average pooling; with `pool` null, the global average over each channel's plane. */
export class QuantizedAvgPool2d implements QuantizedStage {
  constructor(
    readonly pool: PoolSettings | null,
    readonly countIncludePad = true,
  ) {}

  run(activation: Activation, memory: StageMemory = FRESH_MEMORY): Activation {
    const x = expectKind(activation, 'uint8', 'QuantizedAvgPool2d');
    const [, h, w] = x.dims as [number, number, number, number];
    const g = poolGeometry(x, this.pool ?? { kernel: [h, w], stride: [h, w], padding: [0, 0] });
    const out = memory.u8(g.batch * g.outH * g.outW * g.channels);
    getBackend().qavgPool2d(g, this.countIncludePad, x.zeroPoint, x.data, out);
    return pooled(x, g, out);
  }

  toJSON(): QuantizedStageSpec {
    return this.pool === null ? { type: 'globalAvgPool2d' } : { type: 'avgPool2d', ...this.pool, countIncludePad: this.countIncludePad };
  }

  tensors(): Record<string, Tensor> {
    return {};
  }

  describe(): string {
    return this.pool === null ? 'QuantizedGlobalAvgPool2d' : `QuantizedAvgPool2d(${this.pool.kernel.join('×')})`;
  }
}

/**
 * `[N, H, W, C]` → `[N, H·W·C]` without moving a byte. The features stay in channels-last order; the model
 * builder permuted the next linear layer's weights to match, and dequantizing restores the float order.
 */
export class QuantizedFlatten implements QuantizedStage {
  run(activation: Activation): Activation {
    const x = expectKind(activation, 'uint8', 'QuantizedFlatten');
    if (x.dims.length !== 4) return x;
    const [n, h, w, c] = x.dims as [number, number, number, number];
    return { ...x, dims: [n, h * w * c], flattenedFrom: [c, h, w] };
  }

  toJSON(): QuantizedStageSpec {
    return { type: 'flatten' };
  }

  tensors(): Record<string, Tensor> {
    return {};
  }

  describe(): string {
    return 'QuantizedFlatten';
  }
}
