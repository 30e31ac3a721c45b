import assert from 'node:assert/strict';
import { Generator, Tensor, fromArray, noGrad, randn, sum, mul } from '../../src/index.js';

/** Options of {@link gradcheck}. */
export interface GradcheckOptions {
  /** Central-difference step. */
  eps?: number;
  /** Allowed |analytic − numeric| ≤ atol + rtol · |numeric|. */
  atol?: number;
  rtol?: number;
  seed?: number;
}

/**
 * Checks the gradients autograd computes for `fn` against central finite differences, in float64.
 * `inputs` must be float64 tensors; those with requiresGrad are checked. The scalar differentiated is
 * Σ fn(inputs) · r for a fixed random r, so every output element's gradient path is exercised.
 */
export function gradcheck(fn: (...inputs: Tensor[]) => Tensor, inputs: Tensor[], options: GradcheckOptions = {}): void {
  const { eps = 1e-6, atol = 1e-7, rtol = 1e-5, seed = 1 } = options;
  for (const input of inputs) assert.equal(input.dtype, 'float64', 'gradcheck inputs must be float64');
  const probe = noGrad(() => fn(...inputs));
  const weights = randn(probe.shape, { dtype: 'float64', generator: new Generator(seed) });
  const objective = (): number => noGrad(() => sum(mul(fn(...inputs), weights)).item());

  for (const input of inputs) input.grad = null;
  const out = fn(...inputs);
  assert.ok(out.requiresGrad, 'the output must require gradients');
  sum(mul(out, weights)).backward();

  inputs.forEach((input, index) => {
    if (!input.requiresGrad) return;
    const analytic = input.grad?.toTypedArray() ?? new Float64Array(input.size);
    assert.equal(analytic.length, input.size, `input ${index}: gradient size`);
    // Perturb the storage element behind each logical element (inputs are contiguous leaves).
    assert.ok(input.isContiguous() && input.offset === 0, 'gradcheck perturbs contiguous leaf inputs');
    const data = input.data;
    for (let i = 0; i < input.size; i++) {
      const saved = data[i]!;
      data[i] = saved + eps;
      const plus = objective();
      data[i] = saved - eps;
      const minus = objective();
      data[i] = saved;
      const numeric = (plus - minus) / (2 * eps);
      const error = Math.abs(analytic[i]! - numeric);
      assert.ok(
        error <= atol + rtol * Math.abs(numeric),
        `input ${index} element ${i}: analytic ${analytic[i]} vs numeric ${numeric} (error ${error})`,
      );
    }
  });
}

/** A float64 leaf with normal values from a fixed seed, for gradient checks. */
export function leaf(shape: readonly number[], seed = 0, scale = 1): Tensor {
  const t = randn(shape, { dtype: 'float64', generator: new Generator(seed) });
  if (scale !== 1) t.data.forEach((v, i, a) => (a[i] = v * scale));
  return t.setRequiresGrad();
}

/** A float64 leaf from explicit values. */
export function leafOf(values: number[] | number[][], shape?: readonly number[]): Tensor {
  return fromArray(values, { dtype: 'float64', shape, requiresGrad: true });
}
