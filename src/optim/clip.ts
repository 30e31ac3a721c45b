import type { FloatArray } from '../backend/backend.js';
import { ArgumentError } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { ownsStorage } from './storage.js';
import { checkNumber, describeKind } from './validate.js';

/** The gradients of `params` that exist, each as storage that may be written in place. */
function ownedGradients(params: Iterable<Tensor>, where: string): FloatArray[] {
  if (params === null || typeof params !== 'object' || !(Symbol.iterator in params)) {
    throw new ArgumentError(`${where}: params must be an iterable of tensors, got ${describeKind(params)}`);
  }
  const grads: FloatArray[] = [];
  let index = 0;
  for (const p of params) {
    if (!(p instanceof Tensor)) throw new ArgumentError(`${where}: parameter ${index} is not a Tensor, got ${describeKind(p)}`);
    index++;
    if (p.grad === null) continue;
    // Grads from backward own their storage; one assigned by hand may be a view, so it is replaced by a copy.
    if (!ownsStorage(p.grad)) p.grad = new Tensor(p.grad.toTypedArray(), p.grad.shape);
    grads.push(p.grad.data as FloatArray);
  }
  return grads;
}

/**
 * Rescales the gradients of `params` together so that their total norm (the norm of all gradients
 * concatenated into one vector) is at most `maxNorm`, and returns the total norm measured before
 * clipping. `normType` is the p of the p-norm (2 by default; `Infinity` for the largest absolute value).
 *
 * Follows PyTorch 1.13's `clip_grad_norm_`: every gradient is multiplied by maxNorm / (total + 1e-6)
 * whenever that factor is below 1, in place. Parameters without a gradient are skipped; with none at all
 * the result is 0. A non-finite total norm is not an error: the factor then turns the gradients into
 * NaN (or zeros, for an infinite norm), which the training loop's NaN check of the loss reports.
 */
export function clipGradNorm(params: Iterable<Tensor>, maxNorm: number, normType = 2): number {
  checkNumber(maxNorm, 'maxNorm', 'clipGradNorm', { min: 0, allowInfinity: true });
  checkNumber(normType, 'normType', 'clipGradNorm', { min: 0, minExclusive: true, allowInfinity: true });
  const grads = ownedGradients(params, 'clipGradNorm');
  if (grads.length === 0) return 0;
  let total = 0;
  if (normType === Infinity) {
    for (const g of grads) for (let i = 0; i < g.length; i++) total = Math.max(total, Math.abs(g[i]!));
  } else {
    // As PyTorch does: the norm of each gradient, then the norm of those norms.
    for (const g of grads) total += tensorNorm(g, normType) ** normType;
    total = normType === 2 ? Math.sqrt(total) : normType === 1 ? total : total ** (1 / normType);
  }
  const factor = maxNorm / (total + 1e-6);
  // Written as "not ≥ 1" so that a NaN factor scales (and poisons) the gradients as in PyTorch.
  if (!(factor >= 1)) for (const g of grads) for (let i = 0; i < g.length; i++) g[i] = g[i]! * factor;
  return total;
}

function tensorNorm(g: FloatArray, normType: number): number {
  let sum = 0;
  if (normType === 2) {
    for (let i = 0; i < g.length; i++) sum += g[i]! * g[i]!;
    return Math.sqrt(sum);
  }
  if (normType === 1) {
    for (let i = 0; i < g.length; i++) sum += Math.abs(g[i]!);
    return sum;
  }
  for (let i = 0; i < g.length; i++) sum += Math.abs(g[i]!) ** normType;
  return sum ** (1 / normType);
}

/**
 * Clamps every gradient element of `params` into [−clipValue, clipValue], in place (PyTorch's
 * `clip_grad_value_`). Parameters without a gradient are skipped; NaN elements stay NaN.
 */
export function clipGradValue(params: Iterable<Tensor>, clipValue: number): void {
  checkNumber(clipValue, 'clipValue', 'clipGradValue', { min: 0 });
  for (const g of ownedGradients(params, 'clipGradValue')) {
    for (let i = 0; i < g.length; i++) g[i] = Math.min(Math.max(g[i]!, -clipValue), clipValue);
  }
}
