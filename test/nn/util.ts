/** Small helpers shared by the nn tests (not a test file itself). */
import assert from 'node:assert/strict';
import { Tensor, fromArray, toType, type DType } from '../../src/index.js';
import { Module, Parameter } from '../../src/nn/index.js';

/** The elements of `t` in row-major order as a plain array. */
export function values(t: Tensor): number[] {
  return Array.from(t.toTypedArray());
}

/** Asserts |actual − expected| ≤ tol · max(1, |expected|) elementwise. */
export function assertClose(actual: Tensor | ArrayLike<number>, expected: Tensor | ArrayLike<number>, tol = 1e-12, what = 'values'): void {
  const got = actual instanceof Tensor ? values(actual) : Array.from(actual);
  const want = expected instanceof Tensor ? values(expected) : Array.from(expected);
  assert.equal(got.length, want.length, `${what}: length ${got.length} ≠ ${want.length}`);
  for (let i = 0; i < got.length; i++) {
    const a = got[i]!;
    const b = want[i]!;
    if (!(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)))) assert.fail(`${what}: element ${i} is ${a}, expected ${b} (tolerance ${tol})`);
  }
}

/** A float tensor from nested arrays, float64 unless stated. */
export function t64(data: number[] | number[][] | number[][][] | number[][][][], dtype: DType = 'float64'): Tensor {
  return fromArray(data, { dtype });
}

/**
 * Converts every parameter and buffer of `module` (and its descendants) to `dtype` in place, by replacing
 * the fields (Kiln has no `module.to(dtype)` yet). Parameters stay Parameters.
 */
export function castModule<M extends Module>(module: M, dtype: 'float32' | 'float64'): M {
  for (const [, m] of module.namedModules()) {
    const fields = m as unknown as Record<string, unknown>;
    for (const [key, value] of Object.entries(m)) {
      if (value instanceof Parameter) fields[key] = new Parameter(toType(value, dtype));
      // Buffers get their own storage: batch norm updates its running statistics in place.
      else if (value instanceof Tensor) fields[key] = fromArray(toType(value, dtype).toTypedArray(), { shape: value.shape });
    }
  }
  return module;
}

/** Sample mean and (population) standard deviation. */
export function moments(data: ArrayLike<number>): { mean: number; std: number; min: number; max: number } {
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    sum += data[i]!;
    min = Math.min(min, data[i]!);
    max = Math.max(max, data[i]!);
  }
  const mean = sum / data.length;
  let sq = 0;
  for (let i = 0; i < data.length; i++) sq += (data[i]! - mean) ** 2;
  return { mean, std: Math.sqrt(sq / data.length), min, max };
}

/** A bound widened by float32 rounding: a float32 draw just below `bound` may round to just above it. */
export function f32Bound(bound: number): number {
  return bound * (1 + 1e-7);
}
