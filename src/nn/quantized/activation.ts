/**
 * What flows between the stages of a quantized model: float tensors in the usual layout, or u8 tensors
 * in channels-last layout with the affine parameters that give them meaning.
 */
import type { Tensor } from '../../tensor/tensor.js';

/** Unsigned 8-bit activations: `x ≈ (q − zeroPoint) · scale`. */
export interface QuantizedActivation {
  kind: 'uint8';
  data: Uint8Array;
  /** Channels-last dimensions: `[N, H, W, C]`, or `[N, features]`. */
  dims: number[];
  scale: number;
  zeroPoint: number;
  /**
   * For `[N, features]` flattened from `[N, H, W, C]`: the float model's `[C, H, W]`, whose flattening
   * order (channel-major) differs from the channels-last order the features are in. Null otherwise.
   */
  flattenedFrom: [number, number, number] | null;
}

/** A float activation in the float model's layout (NCHW for images). */
export interface FloatActivation {
  kind: 'float';
  tensor: Tensor;
}

export type Activation = QuantizedActivation | FloatActivation;

/** u8 affine parameters, as stored in a model file: `x ≈ (q − zeroPoint) · scale`. */
export interface QParams {
  scale: number;
  zeroPoint: number;
}

/** Throws unless the activation is of the kind a stage takes (the model builder guarantees it; this guards hand-made chains). */
export function expectKind<K extends Activation['kind']>(x: Activation, kind: K, stage: string): Extract<Activation, { kind: K }> {
  if (x.kind !== kind) throw new TypeError(`${stage}: takes ${kind} activations, got ${x.kind}`);
  return x as Extract<Activation, { kind: K }>;
}
