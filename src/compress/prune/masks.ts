/**
 * Pruning masks as a reparametrization of a weight: the effective weight is mask × weight. Each mask lives
 * beside its parameter in a registry (not in the module), so layers, optimizers and the model file need
 * not know about pruning; training re-applies the masks after every optimizer step, and {@link bake}
 * multiplies them in for good and forgets them before export.
 */
import { ShapeError } from '../../errors.js';
import type { Module } from '../../nn/module.js';
import type { Parameter } from '../../nn/parameter.js';

// Weak keys: a mask dies with its parameter, and nothing else has to unregister it.
const registry = new WeakMap<Parameter, Float32Array>();

/**
 * Registers `mask` (1 keeps a value, 0 prunes it; one entry per value of the weight) for `weight`,
 * replacing any earlier mask, and applies it at once.
 * @throws ShapeError when the mask's length differs from the weight's size
 */
export function setMask(weight: Parameter, mask: Float32Array): void {
  if (mask.length !== weight.size) {
    throw new ShapeError(`setMask: the mask has ${mask.length} entries but the weight has ${weight.size} values; give one entry per value`);
  }
  registry.set(weight, mask);
  applyMask(weight, mask);
}

/** The mask registered for `weight`, or undefined when it is not pruned. */
export function maskOf(weight: Parameter): Float32Array | undefined {
  return registry.get(weight);
}

/** Multiplies every parameter of `model` that has a mask by it, in place (after an optimizer step). */
export function applyMasks(model: Module): void {
  for (const parameter of model.parameters()) {
    const mask = registry.get(parameter);
    if (mask) applyMask(parameter, mask);
  }
}

/**
 * Makes the pruning of `model` permanent: every mask is multiplied into its weight one last time and
 * dropped, leaving plain (sparse-valued) weights that save and load like any other.
 * @returns how many masks were baked
 */
export function bake(model: Module): number {
  let baked = 0;
  for (const parameter of model.parameters()) {
    const mask = registry.get(parameter);
    if (!mask) continue;
    applyMask(parameter, mask);
    registry.delete(parameter);
    baked++;
  }
  return baked;
}

function applyMask(weight: Parameter, mask: Float32Array): void {
  // A Parameter owns contiguous storage from offset 0, so its data lines up with the mask.
  const data = weight.data;
  for (let i = 0; i < mask.length; i++) if (mask[i] === 0) data[i] = 0;
}
