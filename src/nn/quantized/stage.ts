/**
 * The stages of a quantized model as JSON (stored in a model file's metadata; weights are tensors named
 * `stages.<i>.<name>`), and the interface every stage implements.
 */
import type { Tensor } from '../../tensor/tensor.js';
import type { LayerSpec } from '../spec.js';
import type { Activation, QParams } from './activation.js';
import type { StageMemory } from './scratch.js';

/** One stage of a quantized model. Sizes follow from the weights and the input shape. */
export type QuantizedStageSpec =
  /** float → u8 (channels-last) with these parameters. */
  | { type: 'quantize'; output: QParams }
  /** u8 → float in the float model's layout. */
  | { type: 'dequantize' }
  /**
   * Integer convolution (groups 1) with batch norm folded in and ReLU fused; `output` null writes
   * dequantized float32 (the model's last integer stage). Padding is [top, left, bottom, right]. `maxPool`
   * (absent when none) fuses the unpadded max pooling that follows: requantization is monotone, so the
   * window's largest accumulator gives its largest code.
   */
  | {
      type: 'conv2d';
      stride: [number, number];
      dilation: [number, number];
      padding: [number, number, number, number];
      relu: boolean;
      output: QParams | null;
      maxPool?: { kernel: [number, number]; stride: [number, number] };
    }
  /** Integer linear layer on `[N, features]`, as conv2d. */
  | { type: 'linear'; relu: boolean; output: QParams | null }
  | { type: 'maxPool2d'; kernel: [number, number]; stride: [number, number]; padding: [number, number] }
  | { type: 'avgPool2d'; kernel: [number, number]; stride: [number, number]; padding: [number, number]; countIncludePad: boolean }
  | { type: 'globalAvgPool2d' }
  | { type: 'flatten' }
  /** An elementwise activation as a 256-entry table from input to output codes. */
  | { type: 'lookup'; activation: string; output: QParams }
  /** Float layers run as they are (those with no integer form), on float activations. */
  | { type: 'float'; layers: LayerSpec[] }
  /** Dynamic quantization: int8 weights, float input quantized per batch, float output. */
  | { type: 'dynamicLinear' };

/** A stage of a quantized model. */
export interface QuantizedStage {
  /**
   * Transforms one activation; the model's builder chains stages so that kinds and shapes fit. u8 outputs
   * go to `memory` (reused between calls by a model); float outputs are always fresh.
   */
  run(x: Activation, memory?: StageMemory): Activation;
  /** The stage's JSON for the model file. */
  toJSON(): QuantizedStageSpec;
  /** The stage's tensors by local name (weight, weightScale, bias, table, or a float stage's state dict). */
  tensors(): Record<string, Tensor>;
  /** One line for summaries: what the stage computes. */
  describe(): string;
}
