import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ArgumentError, DTypeError, ShapeError, fromArray, zeros, type Reduction, type Tensor } from '../../src/index.js';
import { huberLoss, l1Loss, mseLoss, smoothL1Loss } from '../../src/losses/index.js';
import { gradcheck, leaf } from '../helpers/gradcheck.js';
import { assertClose, assertThrows, f64, values } from './util.js';

const REDUCTIONS: Reduction[] = ['mean', 'sum', 'none'];

describe('regression losses', () => {
  for (const reduction of REDUCTIONS) {
    test(`gradients for prediction and target, ${reduction}`, () => {
      const inputs = () => [leaf([3, 4], 1, 2), leaf([3, 4], 2)];
      gradcheck((p, t) => mseLoss(p!, t!, { reduction }), inputs());
      gradcheck((p, t) => l1Loss(p!, t!, { reduction }), inputs());
      for (const delta of [1, 0.4, 2.5]) gradcheck((p, t) => huberLoss(p!, t!, { reduction, delta }), inputs());
      for (const beta of [1, 0.4, 2.5, 0]) gradcheck((p, t) => smoothL1Loss(p!, t!, { reduction, beta }), inputs());
    });
  }
  test('values at hand-picked differences', () => {
    const p = f64([0, 0.5, -2, 3]);
    const t = f64([0, 0, 0, 0]);
    const none = { reduction: 'none' as const };
    assertClose(mseLoss(p, t, none), [0, 0.25, 4, 9]);
    assertClose(l1Loss(p, t, none), [0, 0.5, 2, 3]);
    assertClose(huberLoss(p, t, { ...none, delta: 1 }), [0, 0.125, 1.5, 2.5]);
    assertClose(huberLoss(p, t, { ...none, delta: 2 }), [0, 0.125, 2, 4]);
    assertClose(smoothL1Loss(p, t, { ...none, beta: 2 }), [0, 0.0625, 1, 2]);
    assertClose(smoothL1Loss(p, t, { ...none, beta: 0 }), [0, 0.5, 2, 3]);
    assertClose(mseLoss(p, t), [13.25 / 4]);
    assertClose(l1Loss(p, t, { reduction: 'sum' }), [5.5]);
  });
  test('Huber(δ) = δ · smoothL1(β = δ)', () => {
    const p = leaf([10], 3, 3);
    const t = leaf([10], 4);
    for (const delta of [0.3, 1, 4]) {
      const scaled = values(smoothL1Loss(p, t, { beta: delta, reduction: 'none' })).map((v) => v * delta);
      assertClose(huberLoss(p, t, { delta, reduction: 'none' }), scaled, 1e-14);
    }
  });
  test('the gradient at a zero difference is 0 (as PyTorch)', () => {
    for (const loss of [l1Loss, huberLoss, smoothL1Loss, (p: Tensor, q: Tensor) => smoothL1Loss(p, q, { beta: 0 })]) {
      const p = fromArray([1, 2], { dtype: 'float64', requiresGrad: true });
      const t = f64([1, 0]);
      loss(p, t).backward();
      assert.equal(p.grad!.toTypedArray()[0], 0);
    }
  });
  test('a float64 target keeps a float32 loss float32; mean of nothing is NaN', () => {
    assert.equal(mseLoss(fromArray([1, 2]), f64([0, 0])).dtype, 'float32');
    assert.ok(Number.isNaN(l1Loss(zeros([0]), zeros([0])).item()));
  });
  test('errors: shape mismatch (no broadcasting), bad delta and beta, integer predictions', () => {
    assertThrows(() => mseLoss(zeros([5, 1]), zeros([5])), ShapeError, 'mseLoss', 'prediction [5,1]', 'target [5]', 'same shape', 'reshape(target, [5, 1])');
    assertThrows(() => l1Loss(zeros([5, 2]), zeros([5])), ShapeError, 'l1Loss', '[5,2]', '[5]');
    for (const delta of [0, -1, NaN, Infinity]) assertThrows(() => huberLoss(zeros([2]), zeros([2]), { delta }), ArgumentError, 'huberLoss', 'delta', 'positive');
    assertThrows(() => smoothL1Loss(zeros([2]), zeros([2]), { beta: -0.5 }), ArgumentError, 'smoothL1Loss', 'beta', 'non-negative');
    assertThrows(() => mseLoss(zeros([2], { dtype: 'int32' }), zeros([2])), DTypeError, 'mseLoss: prediction');
    assertThrows(() => mseLoss(zeros([2]), zeros([2]), { reduction: 'batchmean' as Reduction }), ArgumentError, 'mseLoss', "'batchmean'");
  });
});
