/** The backward side of an activation fused into the op before it (conv2d, linear). */
import type { FloatArray, FusedActivation } from '../backend/backend.js';
import { getBackend } from '../backend/registry.js';
import { allocateUninitialized } from '../tensor/dtype.js';

/**
 * The gradient with respect to the op's output before its activation, from `dy` (the gradient of the
 * activated output `out`, contiguous, same length and dtype). ReLU passes dy where out > 0 — exactly where
 * its input was > 0 — so the activated output alone is enough; 'none' returns dy itself.
 */
export function activationGradient(activation: FusedActivation, out: FloatArray, dy: FloatArray): FloatArray {
  if (activation === 'none') return dy;
  const dx = allocateUninitialized(out instanceof Float64Array ? 'float64' : 'float32', dy.length) as FloatArray;
  getBackend().reluBackward(out, dy, dx);
  return dx;
}
