import type { Module } from '../../nn/module.js';
import { prunableWeights } from './prunable.js';

/** The sparsity of one weight. */
export interface WeightSparsity {
  name: string;
  shape: number[];
  size: number;
  /** Values exactly zero. */
  zeros: number;
  /** zeros / size. */
  sparsity: number;
}

/** The share of exact zeros in every Linear and Conv2d weight of `model`, and over all of them (`total`). */
export function sparsityReport(model: Module): { weights: WeightSparsity[]; total: WeightSparsity } {
  const weights = prunableWeights(model).map(({ name, weight }) => {
    let zeros = 0;
    for (let i = 0; i < weight.size; i++) if (weight.data[i] === 0) zeros++;
    return { name, shape: [...weight.shape], size: weight.size, zeros, sparsity: weight.size ? zeros / weight.size : 0 };
  });
  const size = weights.reduce((n, w) => n + w.size, 0);
  const zeros = weights.reduce((n, w) => n + w.zeros, 0);
  return { weights, total: { name: 'all', shape: [size], size, zeros, sparsity: size ? zeros / size : 0 } };
}
