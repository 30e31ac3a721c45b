/**
 * An elementwise activation (sigmoid, tanh, GELU, …) on u8 codes as a 256-entry table: the output code of
 * every input code, worked out once in float. Exact for the codes, and one load per value.
 */
import { Tensor } from '../../tensor/tensor.js';
import { expectKind, type Activation, type QParams } from './activation.js';
import { FRESH_MEMORY, type StageMemory } from './scratch.js';
import type { QuantizedStage, QuantizedStageSpec } from './stage.js';

export class QuantizedLookup implements QuantizedStage {
  /**
   * @param activation the float layer's type, for the model file and summaries
   * @param table output code by input code (256 entries)
   */
  constructor(
    readonly activation: string,
    readonly table: Uint8Array,
    readonly output: QParams,
  ) {}

  run(input: Activation, memory: StageMemory = FRESH_MEMORY): Activation {
    const x = expectKind(input, 'uint8', 'QuantizedLookup');
    const out = memory.u8(x.data.length);
    const table = this.table;
    for (let i = 0; i < out.length; i++) out[i] = table[x.data[i]!]!;
    return { ...x, data: out, ...this.output };
  }

  toJSON(): QuantizedStageSpec {
    return { type: 'lookup', activation: this.activation, output: this.output };
  }

  tensors(): Record<string, Tensor> {
    return { table: new Tensor(this.table, [256]) };
  }

  describe(): string {
    return `QuantizedLookup(${this.activation})`;
  }
}
