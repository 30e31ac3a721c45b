import assert from 'node:assert/strict';
import type { FloatArray } from '../../src/backend/backend.js';
import { Generator } from '../../src/tensor/random.js';

/** The constructors of the float storage types kernels accept. */
export type FloatArrayConstructor = Float32ArrayConstructor | Float64ArrayConstructor;

/** A seeded source of uniform numbers in [0, 1), so failures reproduce. */
export function seededRandom(seed: number): () => number {
  const generator = new Generator(seed);
  return () => generator.nextDouble();
}

/** `length` uniform values in [−1, 1). */
export function randomArray(type: FloatArrayConstructor, length: number, rand: () => number): FloatArray {
  const out = new type(length);
  for (let i = 0; i < length; i++) out[i] = rand() * 2 - 1;
  return out;
}

/** Asserts |got − want| ≤ tol · max(1, max |want|) elementwise; NaN must meet NaN, ±∞ the same ±∞. */
export function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  let scale = 1;
  for (let i = 0; i < want.length; i++) if (Number.isFinite(want[i])) scale = Math.max(scale, Math.abs(want[i]!));
  for (let i = 0; i < want.length; i++) {
    const ok = Object.is(got[i], want[i]) || Math.abs(got[i]! - want[i]!) <= tol * scale || (Number.isNaN(want[i]) && Number.isNaN(got[i]));
    if (!ok) assert.fail(`${what}: element ${i} is ${got[i]}, expected ${want[i]}`);
  }
}

/** The kernel tolerance for a storage type: float32 rounding, or near-exact in float64. */
export const tolerance = (type: FloatArrayConstructor): number => (type === Float32Array ? 1e-5 : 1e-12);
