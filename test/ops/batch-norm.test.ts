import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ArgumentError, ShapeError, batchNorm, fromArray, ones, zeros, type Tensor } from '../../src/index.js';
import { leaf } from '../helpers/gradcheck.js';
import { assertClose, assertThrows, checkGrad, positive, values } from './util.js';

const train = { training: true };
const evaluate = { training: false };

/** Fixed running statistics for evaluation-mode checks (not differentiated). */
function stats(channels: number): [Tensor, Tensor] {
  return [leaf([channels], 100).detach(), positive([channels], 101).detach()];
}

describe('batchNorm: gradients in training', () => {
  test('[N,C] with weight and bias', () => {
    checkGrad((x, w, b) => batchNorm(x!, null, null, w!, b!, train), [leaf([4, 3], 1), leaf([3], 2), leaf([3], 3)], [4, 3]);
  });
  test('[N,C,H,W] with weight and bias', () => {
    checkGrad((x, w, b) => batchNorm(x!, null, null, w!, b!, train), [leaf([2, 3, 2, 2], 4), leaf([3], 5), leaf([3], 6)], [2, 3, 2, 2]);
  });
  test('[N,C,L] without weight and bias, custom eps', () => {
    checkGrad((x) => batchNorm(x!, null, null, null, null, { training: true, eps: 1e-3 }), [leaf([2, 2, 3], 7)], [2, 2, 3]);
  });
  test('size-1 channel and batch of 2', () => {
    checkGrad((x, w, b) => batchNorm(x!, null, null, w!, b!, train), [leaf([2, 1], 8), leaf([1], 9), leaf([1], 10)], [2, 1]);
  });
  test('running statistics given: gradients unchanged (they are state, not inputs)', () => {
    checkGrad((x, w, b) => batchNorm(x!, zeros([3], { dtype: 'float64' }), ones([3], { dtype: 'float64' }), w!, b!, train), [leaf([4, 3], 11), leaf([3], 12), leaf([3], 13)], [4, 3]);
  });
  test('non-contiguous views', () => {
    checkGrad((x, w, b) => batchNorm(x!.transpose(), null, null, w!, b!, train), [leaf([3, 4], 14), leaf([3], 15), leaf([3], 16)], [4, 3]);
    checkGrad((x) => batchNorm(x!.permute([0, 3, 1, 2]), null, null, null, null, train), [leaf([2, 2, 2, 3], 17)], [2, 3, 2, 2]);
    checkGrad((x, w) => batchNorm(x!.slice([[0, 5, 2]]), null, null, w!.expand([2]), null, train), [leaf([5, 2], 18), leaf([1], 19)], [3, 2]);
  });
});

describe('batchNorm: gradients in evaluation', () => {
  test('[N,C] and [N,C,H,W] with weight and bias', () => {
    const [rm, rv] = stats(3);
    checkGrad((x, w, b) => batchNorm(x!, rm, rv, w!, b!, evaluate), [leaf([4, 3], 1), leaf([3], 2), leaf([3], 3)], [4, 3]);
    checkGrad((x, w, b) => batchNorm(x!, rm, rv, w!, b!, evaluate), [leaf([2, 3, 2, 1], 4), leaf([3], 5), leaf([3], 6)], [2, 3, 2, 1]);
  });
  test('one sample, size-0 batch, non-contiguous input', () => {
    const [rm, rv] = stats(3);
    checkGrad((x) => batchNorm(x!, rm, rv, null, null, evaluate), [leaf([1, 3], 7)], [1, 3]);
    checkGrad((x, w, b) => batchNorm(x!, rm, rv, w!, b!, evaluate), [leaf([0, 3], 8), leaf([3], 9), leaf([3], 10)], [0, 3]);
    checkGrad((x) => batchNorm(x!.transpose(), rm, rv, null, null, evaluate), [leaf([3, 2], 11)], [2, 3]);
  });
});

describe('batchNorm: values and running statistics', () => {
  // Channel 0: 1, 3, 5 (mean 3, biased var 8/3, unbiased 4); channel 1: 2, 6, 10 (mean 6, 32/3, 16).
  const x = fromArray([[1, 2], [3, 6], [5, 10]], { dtype: 'float64' });
  test('training normalizes with the batch mean and biased variance', () => {
    const out = batchNorm(x, null, null, null, null, { training: true, eps: 0 });
    const s0 = Math.sqrt(8 / 3);
    const s1 = Math.sqrt(32 / 3);
    assertClose(out, [-2 / s0, -4 / s1, 0, 0, 2 / s0, 4 / s1]);
  });
  test('weight and bias scale and shift per channel', () => {
    const out = batchNorm(x, null, null, fromArray([2, -1], { dtype: 'float64' }), fromArray([10, 0.5], { dtype: 'float64' }), { training: true, eps: 0 });
    const s0 = Math.sqrt(8 / 3);
    const s1 = Math.sqrt(32 / 3);
    assertClose(out, [10 - 4 / s0, 0.5 + 4 / s1, 10, 0.5, 10 + 4 / s0, 0.5 - 4 / s1]);
  });
  test('training updates the running statistics in place (momentum 0.1, unbiased variance)', () => {
    const rm = zeros([2], { dtype: 'float64' });
    const rv = ones([2], { dtype: 'float64' });
    batchNorm(x, rm, rv, null, null, train);
    assertClose(rm, [0.3, 0.6], 1e-15);
    assertClose(rv, [0.9 + 0.4, 0.9 + 1.6], 1e-15);
    batchNorm(x, rm, rv, null, null, train);
    assertClose(rm, [0.9 * 0.3 + 0.3, 0.9 * 0.6 + 0.6], 1e-15);
    assertClose(rv, [0.9 * 1.3 + 0.4, 0.9 * 2.5 + 1.6], 1e-15);
  });
  test('a custom momentum', () => {
    const rm = fromArray([1, 1], { dtype: 'float64' });
    const rv = fromArray([1, 1], { dtype: 'float64' });
    batchNorm(x, rm, rv, null, null, { training: true, momentum: 0.5 });
    assertClose(rm, [2, 3.5], 1e-15);
    assertClose(rv, [2.5, 8.5], 1e-15);
  });
  test('the running-statistics update is not recorded by autograd', () => {
    const rm = zeros([2], { dtype: 'float64' });
    const input = leaf([3, 2], 1);
    batchNorm(input, rm, ones([2], { dtype: 'float64' }), null, null, train);
    assert.equal(rm.requiresGrad, false);
    assert.equal(rm.gradFn, null);
  });
  test('evaluation uses the running statistics and leaves them unchanged', () => {
    const rm = fromArray([1, -2], { dtype: 'float64' });
    const rv = fromArray([4, 0.25], { dtype: 'float64' });
    const w = fromArray([3, 1], { dtype: 'float64' });
    const b = fromArray([0, 1], { dtype: 'float64' });
    const out = batchNorm(x, rm, rv, w, b, { training: false, eps: 0 });
    assertClose(out, [0, 9, 3, 17, 6, 25]);
    assert.deepEqual(values(rm), [1, -2]);
    assert.deepEqual(values(rv), [4, 0.25]);
    const withEps = batchNorm(x, rm, rv, null, null, evaluate);
    const [s0, s1] = [Math.sqrt(4 + 1e-5), Math.sqrt(0.25 + 1e-5)];
    assertClose(withEps, [0, 4 / s1, 2 / s0, 8 / s1, 4 / s0, 12 / s1]);
  });
  test('train then evaluate: evaluation uses what training accumulated', () => {
    const rm = zeros([2], { dtype: 'float64' });
    const rv = ones([2], { dtype: 'float64' });
    for (let i = 0; i < 200; i++) batchNorm(x, rm, rv, null, null, train);
    assertClose(rm, [3, 6], 1e-8);
    assertClose(rv, [4, 16], 1e-8);
    const out = batchNorm(x, rm, rv, null, null, { training: false, eps: 0 });
    assertClose(out, [-1, -1, 0, 0, 1, 1], 1e-8);
  });
  test('[N,C,H,W] statistics are per channel over N, H and W', () => {
    const t = fromArray([1, 2, 3, 4, 10, 10, 10, 10, 5, 6, 7, 8, 30, 30, 30, 30], { dtype: 'float64', shape: [2, 2, 2, 2] });
    const rm = zeros([2], { dtype: 'float64' });
    const rv = zeros([2], { dtype: 'float64' });
    batchNorm(t, rm, rv, null, null, { training: true, momentum: 1 });
    assertClose(rm, [4.5, 20], 1e-15);
    assertClose(rv, [6, 800 / 7], 1e-14);
  });
});

describe('batchNorm: errors', () => {
  test('evaluation without running statistics', () => {
    assertThrows(() => batchNorm(zeros([2, 3]), null, null, null, null, evaluate), ArgumentError, 'batchNorm', 'runningMean');
  });
  test('training with one value per channel', () => {
    assertThrows(() => batchNorm(zeros([1, 3]), null, null, null, null, train), ArgumentError, 'batchNorm', '[1,3]');
  });
  test('parameters of the wrong shape', () => {
    assertThrows(() => batchNorm(zeros([2, 3]), null, null, zeros([4]), null, train), ShapeError, 'batchNorm', 'weight', '[3]', '[4]');
    assertThrows(() => batchNorm(zeros([2, 3]), zeros([2]), ones([3]), null, null, train), ShapeError, 'batchNorm', 'runningMean', '[2]');
    assertThrows(() => batchNorm(zeros([2, 3]), null, null, null, zeros([3, 1]), train), ShapeError, 'batchNorm', 'bias', '[3,1]');
  });
  test('input without a channel dimension', () => {
    assertThrows(() => batchNorm(zeros([3]), null, null, null, null, train), ShapeError, 'batchNorm', '[3]');
  });
});
