import { Conv2d } from '../../nn/layers/conv2d.js';
import { Linear } from '../../nn/layers/linear.js';
import type { Module } from '../../nn/module.js';
import type { Parameter } from '../../nn/parameter.js';

/** A weight that pruning may sparsify: that of a Linear or Conv2d layer. */
export interface PrunableWeight {
  /** Its dotted state-dict name (`3.weight`). */
  name: string;
  layer: Linear | Conv2d;
  weight: Parameter;
}

/**
 * The weights of every Linear and Conv2d layer of `model`, in module order. Biases and normalization
 * parameters are left dense: they are a tiny share of the values and pruning them hurts accuracy most.
 * With `names`, only the weights named there; names that match none are simply not found.
 */
export function prunableWeights(model: Module, names?: readonly string[]): PrunableWeight[] {
  const found: PrunableWeight[] = [];
  for (const [path, module] of model.namedModules()) {
    if (!(module instanceof Linear) && !(module instanceof Conv2d)) continue;
    const name = path ? `${path}.weight` : 'weight';
    if (names === undefined || names.includes(name)) found.push({ name, layer: module, weight: module.weight });
  }
  return found;
}
