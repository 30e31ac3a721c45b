import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ArgumentError, Tensor, fromArray } from '../../src/index.js';
import { clipGradNorm, clipGradValue } from '../../src/optim/index.js';
import { assertClose, assertThrows } from '../ops/util.js';
import { param } from './util.js';

function withGrad(values: number[], gradValues: number[]): Tensor {
  const p = param(values);
  p.grad = fromArray(gradValues, { dtype: 'float64' });
  return p;
}

describe('clipGradNorm', () => {
  test('returns the total norm over all gradients and scales them by maxNorm / (total + 1e-6)', () => {
    const a = withGrad([0, 0], [3, 0]);
    const b = withGrad([0], [4]);
    const total = clipGradNorm([a, b], 1);
    assert.equal(total, 5);
    const factor = 1 / (5 + 1e-6);
    assertClose(a.grad!, [3 * factor, 0], 0);
    assertClose(b.grad!, [4 * factor], 0);
  });

  test('gradients within the bound are left alone, up to the 1e-6 margin PyTorch adds', () => {
    const a = withGrad([0, 0], [3, 4]);
    assert.equal(clipGradNorm([a], 6), 5);
    assert.deepEqual(a.grad!.toArray(), [3, 4]);
    assert.equal(clipGradNorm([a], 5), 5);
    assertClose(a.grad!, [3 * (5 / (5 + 1e-6)), 4 * (5 / (5 + 1e-6))], 0);
  });

  test('other norm types: Infinity (largest magnitude), 1, and 3', () => {
    const grads = [[1, -7], [2]];
    const make = () => grads.map((g) => withGrad(g.map(() => 0), g));
    assert.equal(clipGradNorm(make(), 100, Infinity), 7);
    assert.equal(clipGradNorm(make(), 100, 1), 10);
    assertClose([clipGradNorm(make(), 100, 3)], [Math.cbrt(1 + 343 + 8)], 1e-15);
    const clipped = make();
    clipGradNorm(clipped, 3.5, Infinity);
    assertClose(clipped[0]!.grad!, [3.5 / (7 + 1e-6), (-7 * 3.5) / (7 + 1e-6)], 1e-15);
  });

  test('parameters without gradients are skipped; none at all gives 0', () => {
    const a = param([1, 2]);
    const b = withGrad([0], [2]);
    assert.equal(clipGradNorm([a, b], 1), 2);
    assert.equal(a.grad, null);
    assert.equal(clipGradNorm([a], 1), 0);
    assert.equal(clipGradNorm([], 1), 0);
  });

  test('a non-finite gradient gives a NaN norm and NaN gradients, as in PyTorch', () => {
    const a = withGrad([0, 0], [NaN, 1]);
    assert.ok(Number.isNaN(clipGradNorm([a], 1)));
    assert.ok(Array.from(a.grad!.toTypedArray()).every(Number.isNaN));
  });

  test('a gradient that is a view is replaced by a scaled copy; the viewed storage is untouched', () => {
    const storage = fromArray([30, 0, 40, 0], { dtype: 'float64' });
    const a = param([0, 0]);
    a.grad = new Tensor(storage.data, [2], [2], 0);
    clipGradNorm([a], 5);
    assert.deepEqual(storage.toArray(), [30, 0, 40, 0]);
    assertClose(a.grad, [30 * (5 / (50 + 1e-6)), 40 * (5 / (50 + 1e-6))], 0);
  });

  test('bad arguments', () => {
    const a = withGrad([0], [1]);
    assertThrows(() => clipGradNorm([a], -1), ArgumentError, 'clipGradNorm: maxNorm must be a number ≥ 0 (or Infinity), got -1');
    assertThrows(() => clipGradNorm([a], 1, 0), ArgumentError, 'clipGradNorm: normType must be a number > 0 (or Infinity), got 0');
    assertThrows(() => clipGradNorm([a], NaN), ArgumentError, 'got NaN');
    assertThrows(() => clipGradNorm(a as never, 1), ArgumentError, 'params must be an iterable of tensors, got a Tensor');
    assertThrows(() => clipGradNorm([a, [1, 2]] as never, 1), ArgumentError, 'parameter 1 is not a Tensor, got an array');
  });
});

describe('clipGradValue', () => {
  test('clamps every element into [−clipValue, clipValue]; NaN stays NaN', () => {
    const a = withGrad([0, 0, 0, 0], [0.5, -3, 2, NaN]);
    const b = param([1]);
    clipGradValue([a, b], 1);
    assert.deepEqual(a.grad!.toArray(), [0.5, -1, 1, NaN]);
    assert.equal(b.grad, null);
  });

  test('bad arguments', () => {
    assertThrows(() => clipGradValue([], -0.5), ArgumentError, 'clipGradValue: clipValue must be a finite number ≥ 0, got -0.5');
    assertThrows(() => clipGradValue([], Infinity), ArgumentError, 'got Infinity');
  });
});
