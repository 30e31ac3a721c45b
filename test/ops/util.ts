/** Small helpers shared by the op tests (not a test file itself). */
import assert from 'node:assert/strict';
import { Tensor, fromArray, type DType } from '../../src/index.js';
import { gradcheck, leaf } from '../helpers/gradcheck.js';

/** The elements of `t` in row-major order as a plain array. */
export function values(t: Tensor): number[] {
  return Array.from(t.toTypedArray());
}

/**
 * Asserts |actual − expected| ≤ tol · max(1, |expected|) elementwise. NaN must meet NaN and an infinity
 * the same infinity.
 */
export function assertClose(actual: Tensor | ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-12, what = 'values'): void {
  const got = actual instanceof Tensor ? values(actual) : Array.from(actual);
  assert.equal(got.length, expected.length, `${what}: length ${got.length} ≠ ${expected.length}`);
  for (let i = 0; i < got.length; i++) {
    const a = got[i]!;
    const b = expected[i]!;
    const ok = Number.isNaN(b)
      ? Number.isNaN(a)
      : !Number.isFinite(b)
        ? a === b
        : Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));
    if (!ok) assert.fail(`${what}: element ${i} is ${a}, expected ${b} (tolerance ${tol})`);
  }
}

/** A float64 leaf with seeded normal values passed through `f` (to keep them off non-smooth points). */
export function leafMapped(shape: readonly number[], seed: number, f: (v: number) => number): Tensor {
  const t = leaf(shape, seed);
  t.data.forEach((v, i, a) => (a[i] = f(v)));
  return t;
}

/** Values in [0.5, ∞): safe for log, sqrt, rsqrt, reciprocal and non-integer powers. */
export function positive(shape: readonly number[], seed = 0): Tensor {
  return leafMapped(shape, seed, (v) => 0.5 + Math.abs(v));
}

/** Values with |v| ≥ 0.2: safe for abs, relu and the other kinks at 0. */
export function awayFromZero(shape: readonly number[], seed = 0): Tensor {
  return leafMapped(shape, seed, (v) => v + (v >= 0 ? 0.2 : -0.2));
}

/** A tensor of integer class indices / positions. */
export function ints(data: number[], shape?: readonly number[], dtype: DType = 'int32'): Tensor {
  return fromArray(data, { dtype, shape: shape ?? [data.length] });
}

/**
 * Gradient check that also asserts the output shape and that every input that requires gradients got
 * a gradient of its own shape (this matters for empty tensors, where gradcheck compares nothing).
 */
export function checkGrad(fn: (...inputs: Tensor[]) => Tensor, inputs: Tensor[], outShape?: readonly number[]): void {
  gradcheck(fn, inputs);
  if (outShape) assert.deepEqual(fn(...inputs).shape, outShape, 'output shape');
  inputs.forEach((input, i) => {
    if (!input.requiresGrad) return;
    assert.ok(input.grad !== null, `input ${i} has no gradient`);
    assert.deepEqual(input.grad.shape, input.shape, `input ${i}: gradient shape`);
    assert.equal(input.grad.dtype, input.dtype, `input ${i}: gradient dtype`);
  });
}

/** Asserts that `fn` throws an instance of `type` whose message contains every one of `parts`. */
export function assertThrows(
  fn: () => unknown,
  type: abstract new (...args: never[]) => Error,
  ...parts: (string | RegExp)[]
): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof type, `expected a ${type.name}, got ${String(e)}`);
    for (const part of parts) {
      const found = typeof part === 'string' ? e.message.includes(part) : part.test(e.message);
      assert.ok(found, `the message ${JSON.stringify(e.message)} should contain ${String(part)}`);
    }
    return true;
  });
}
