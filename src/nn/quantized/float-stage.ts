/** Layers with no integer form, run in float between a dequantize and a quantize (or at the model's edges). */
import type { Tensor } from '../../tensor/tensor.js';
import type { SpecModel } from '../spec.js';
import { expectKind, type Activation } from './activation.js';
import type { QuantizedStage, QuantizedStageSpec } from './stage.js';

export class FloatStage implements QuantizedStage {
  /** @param model the layers as a model of their own (built from their specs, with their weights) */
  constructor(readonly model: SpecModel) {
    model.eval();
  }

  run(input: Activation): Activation {
    const { tensor } = expectKind(input, 'float', 'FloatStage');
    return { kind: 'float', tensor: this.model.forward(tensor) };
  }

  toJSON(): QuantizedStageSpec {
    return { type: 'float', layers: structuredClone(this.model.spec.layers) };
  }

  tensors(): Record<string, Tensor> {
    return this.model.stateDict();
  }

  describe(): string {
    return `Float(${this.model.spec.layers.map((l) => l.type).join(', ')})`;
  }
}
