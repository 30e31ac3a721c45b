/** Helpers shared by the loss tests (not a test file itself). */
import assert from 'node:assert/strict';
import { Tensor, fromArray, type DType } from '../../src/index.js';

/** |a − b| / max(|b|, floor); 0 when a and b are equal (also both 0 or both infinite). */
export function relativeError(a: number, b: number, floor = 0): number {
  return a === b ? 0 : Math.abs(a - b) / Math.max(Math.abs(b), floor);
}

/** The elements of `t` in row-major order. */
export function values(t: Tensor): number[] {
  return Array.from(t.toTypedArray());
}

/** Asserts every element of `actual` is within relative error `tol` of `expected` (NaN matches NaN). */
export function assertClose(actual: Tensor | ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-12, what = 'values'): void {
  const got = actual instanceof Tensor ? values(actual) : Array.from(actual);
  assert.equal(got.length, expected.length, `${what}: length ${got.length} ≠ ${expected.length}`);
  for (let i = 0; i < got.length; i++) {
    const a = got[i]!;
    const b = expected[i]!;
    const ok = Number.isNaN(b) ? Number.isNaN(a) : relativeError(a, b) <= tol;
    assert.ok(ok, `${what}: element ${i} is ${a}, expected ${b} (tolerance ${tol})`);
  }
}

/** Asserts that `fn` throws an instance of `type` whose message contains every one of `parts`. */
export function assertThrows(fn: () => unknown, type: abstract new (...args: never[]) => Error, ...parts: string[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof type, `expected a ${type.name}, got ${String(e)}`);
    for (const part of parts) assert.ok(e.message.includes(part), `the message ${JSON.stringify(e.message)} should contain ${JSON.stringify(part)}`);
    return true;
  });
}

/** An integer tensor of class indices. */
export function ints(data: number[], shape?: readonly number[], dtype: DType = 'int32'): Tensor {
  return fromArray(data, { dtype, shape: shape ?? [data.length] });
}

/** A float64 tensor that needs no gradient. */
export function f64(data: number[], shape?: readonly number[]): Tensor {
  return fromArray(data, { dtype: 'float64', shape: shape ?? [data.length] });
}
