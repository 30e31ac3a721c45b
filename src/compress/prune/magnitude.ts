/**
 * Magnitude pruning criteria (Han et al. 2015; Zhu & Gupta 2017): the values of smallest absolute value
 * are pruned, per layer or by one threshold over all layers, and N:M patterns (NVIDIA's 2:4 sparsity)
 * keep the N largest of every M consecutive input channels.
 */
import { ArgumentError } from '../../errors.js';
import type { NumericArray } from '../../backend/backend.js';
import type { PrunableWeight } from './prunable.js';

/** How magnitude pruning chooses what to prune. */
export type PruningScope =
  /** Every weight loses the same fraction of its values. */
  | 'layer'
  /** One threshold over all weights: layers with many small values lose more. */
  | 'global';

/** Checks a sparsity: a fraction in [0, 1). */
export function checkSparsity(sparsity: number, what: string): void {
  if (typeof sparsity !== 'number' || !(sparsity >= 0 && sparsity < 1)) {
    throw new ArgumentError(`${what}: sparsity must be a fraction in [0, 1) (0.75 prunes three values in four), got ${sparsity}`);
  }
}

/**
 * Masks that prune `sparsity` of the values of `weights` by magnitude: exactly round(sparsity × size) of
 * each weight (scope 'layer'), or of all of them together (scope 'global'). Ties at the threshold are
 * broken by position, so the count is exact and the result deterministic.
 */
export function magnitudeMasks(weights: readonly PrunableWeight[], sparsity: number, scope: PruningScope = 'layer'): Float32Array[] {
  checkSparsity(sparsity, 'magnitudeMasks');
  if (scope === 'layer') return weights.map(({ weight }) => pruneBelow(weight.data, Math.round(sparsity * weight.size)));
  if (scope !== 'global') throw new ArgumentError(`magnitudeMasks: scope must be 'layer' or 'global', got ${String(scope)}`);
  const total = weights.reduce((n, w) => n + w.weight.size, 0);
  const magnitudes = new Float32Array(total);
  let at = 0;
  for (const { weight } of weights) {
    for (let i = 0; i < weight.size; i++) magnitudes[at++] = Math.abs(weight.data[i]!);
  }
  const count = Math.round(sparsity * total);
  if (count === 0) return weights.map(({ weight }) => new Float32Array(weight.size).fill(1));
  const threshold = magnitudes.sort()[count - 1]!;
  // Values below the threshold go everywhere; ties at it go in layer order until the count is reached.
  let below = 0;
  for (let i = 0; i < count; i++) if (magnitudes[i]! < threshold) below++;
  let tiesLeft = count - below;
  return weights.map(({ weight }) => {
    const mask = new Float32Array(weight.size);
    for (let i = 0; i < weight.size; i++) {
      const m = Math.fround(Math.abs(weight.data[i]!));
      if (m > threshold) mask[i] = 1;
      else if (m === threshold && tiesLeft > 0) tiesLeft--;
      else if (m === threshold) mask[i] = 1;
    }
    return mask;
  });
}

/** A mask pruning the `count` values of smallest magnitude (the earlier one first on a tie). */
function pruneBelow(values: NumericArray, count: number): Float32Array {
  const mask = new Float32Array(values.length).fill(1);
  if (count === 0) return mask;
  const magnitudes = Float32Array.from(values, Math.abs).sort();
  const threshold = magnitudes[count - 1]!;
  let pruned = 0;
  for (let i = 0; i < values.length && pruned < count; i++) {
    if (Math.fround(Math.abs(values[i]!)) < threshold) {
      mask[i] = 0;
      pruned++;
    }
  }
  for (let i = 0; i < values.length && pruned < count; i++) {
    if (Math.fround(Math.abs(values[i]!)) === threshold) {
      mask[i] = 0;
      pruned++;
    }
  }
  return mask;
}

/**
 * An N:M mask: of every M consecutive input channels (for one output and, in a convolution, one kernel
 * position) the N of largest magnitude are kept — 2:4 halves the weight in the pattern sparse tensor
 * cores accelerate. A last group shorter than M keeps at most N. Linear weights are [out, in], Conv2d
 * weights [out, in, kH, kW].
 */
export function nmMask(weight: PrunableWeight['weight'], n: number, m: number): Float32Array {
  if (!Number.isInteger(n) || !Number.isInteger(m) || n < 1 || m < 2 || n >= m) {
    throw new ArgumentError(`nmMask: expected whole numbers 1 ≤ N < M (2:4 keeps 2 of every 4), got ${n}:${m}`);
  }
  const [out, inputs] = weight.shape as [number, number];
  // Input channel c of output o at kernel position k sits at (o·in + c)·positions + k.
  const positions = weight.size / (out * inputs);
  const mask = new Float32Array(weight.size);
  const data = weight.data;
  const order: number[] = [];
  for (let o = 0; o < out; o++) {
    for (let k = 0; k < positions; k++) {
      for (let start = 0; start < inputs; start += m) {
        order.length = 0;
        for (let c = start; c < Math.min(start + m, inputs); c++) order.push((o * inputs + c) * positions + k);
        order.sort((a, b) => Math.abs(data[b]!) - Math.abs(data[a]!) || a - b);
        for (let i = 0; i < Math.min(n, order.length); i++) mask[order[i]!] = 1;
      }
    }
  }
  return mask;
}
