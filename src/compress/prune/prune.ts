/** One-call unstructured pruning of a model: compute the masks, register them, apply them. */
import { ArgumentError } from '../../errors.js';
import type { Module } from '../../nn/module.js';
import { magnitudeMasks, nmMask, type PruningScope } from './magnitude.js';
import { setMask } from './masks.js';
import { prunableWeights, type PrunableWeight } from './prunable.js';

/** Options of {@link pruneMagnitude}. */
export interface MagnitudePruningOptions {
  /** The fraction of values to prune, in [0, 1). */
  sparsity: number;
  /** 'layer' (default): each weight loses that fraction; 'global': one threshold over all of them. */
  scope?: PruningScope;
  /** Prune only these weights (state-dict names such as `3.weight`); default every Linear and Conv2d weight. */
  weights?: readonly string[];
}

/**
 * Prunes the Linear and Conv2d weights of `model` by magnitude and registers the masks (see `setMask`),
 * so that a {@link PruningCallback} keeps them applied while fine-tuning; `bake` makes them permanent.
 * Masks are recomputed from the current values, so pruning an already pruned model goes further.
 * @returns the weights pruned
 * @throws ArgumentError for a bad sparsity or scope, or when no weight is selected
 */
export function pruneMagnitude(model: Module, options: MagnitudePruningOptions): PrunableWeight[] {
  const weights = selected(model, options.weights, 'pruneMagnitude');
  magnitudeMasks(weights, options.sparsity, options.scope).forEach((mask, i) => setMask(weights[i]!.weight, mask));
  return weights;
}

/** Options of {@link pruneNM}. */
export interface NMPruningOptions {
  /** Values kept per group (default 2). */
  n?: number;
  /** Group size along the input channels (default 4). */
  m?: number;
  /** Prune only these weights; default every Linear and Conv2d weight with at least M input channels. */
  weights?: readonly string[];
}

/**
 * N:M pruning (default 2:4) of the Linear and Conv2d weights of `model` along their input channels,
 * registering the masks like {@link pruneMagnitude}. Without `weights`, layers with fewer than M input
 * channels (a first convolution on grayscale images) are left dense.
 * @returns the weights pruned
 */
export function pruneNM(model: Module, options: NMPruningOptions = {}): PrunableWeight[] {
  const { n = 2, m = 4 } = options;
  const weights = selected(model, options.weights, 'pruneNM').filter((w) => options.weights !== undefined || w.weight.shape[1]! >= m);
  for (const { weight } of weights) setMask(weight, nmMask(weight, n, m));
  return weights;
}

function selected(model: Module, names: readonly string[] | undefined, what: string): PrunableWeight[] {
  const weights = prunableWeights(model, names);
  const unknown = (names ?? []).filter((name) => !weights.some((w) => w.name === name));
  if (unknown.length) {
    const known = prunableWeights(model).map((w) => w.name);
    throw new ArgumentError(`${what}: ${unknown.join(', ')} ${unknown.length > 1 ? 'are not' : 'is not'} a Linear or Conv2d weight of the model; those are ${known.join(', ') || 'none'}`);
  }
  if (weights.length === 0) throw new ArgumentError(`${what}: the model has no Linear or Conv2d weight to prune`);
  return weights;
}
