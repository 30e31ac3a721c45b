import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ArgumentError, ShapeError, fromArray, logSoftmax, softmax, sum, zeros } from '../../src/index.js';
import { klDivLoss, type KlDivReduction } from '../../src/losses/index.js';
import { gradcheck, leaf } from '../helpers/gradcheck.js';
import { assertClose, assertThrows, f64, values } from './util.js';

const REDUCTIONS: KlDivReduction[] = ['mean', 'sum', 'none', 'batchmean'];

describe('klDivLoss', () => {
  for (const reduction of REDUCTIONS) {
    test(`gradients for input and target, ${reduction}`, () => {
      const input = () => logSoftmax(leaf([3, 4], 1), 1).detach().setRequiresGrad();
      const probabilities = softmax(leaf([3, 4], 2), 1).detach().setRequiresGrad();
      gradcheck((x, t) => klDivLoss(x!, t!, { reduction }), [input(), probabilities]);
      gradcheck((x, t) => klDivLoss(x!, t!, { reduction, logTarget: true }), [input(), leaf([3, 4], 3)]);
    });
  }
  test('a zero target contributes 0 (not NaN), to the value and both gradients', () => {
    const x = fromArray([[-1, -0.5], [-2, -0.2]], { dtype: 'float64', requiresGrad: true });
    const t = fromArray([[0, 1], [0.25, 0.75]], { dtype: 'float64', requiresGrad: true });
    const loss = klDivLoss(x, t, { reduction: 'none' });
    assertClose(loss, [0, 0.5, 0.25 * (Math.log(0.25) + 2), 0.75 * (Math.log(0.75) + 0.2)], 1e-15);
    sum(loss).backward();
    assertClose(x.grad!, [-0, -1, -0.25, -0.75]);
    // At t = 0 the t · log t part contributes 0 (its derivative there is taken as 0), leaving −input.
    assertClose(t.grad!, [1, 1 + 0.5, Math.log(0.25) + 1 + 2, Math.log(0.75) + 1 + 0.2], 1e-15);
  });
  test("'batchmean' is the sum over the batch size; 'mean' the average over every element", () => {
    const x = logSoftmax(leaf([4, 5], 4), 1);
    const t = softmax(leaf([4, 5], 5), 1);
    const total = klDivLoss(x, t, { reduction: 'sum' }).item();
    assertClose(klDivLoss(x, t, { reduction: 'batchmean' }), [total / 4], 1e-15);
    assertClose(klDivLoss(x, t), [total / 20], 1e-15);
    assertClose(klDivLoss(f64([-1], []), f64([0.5], []), { reduction: 'batchmean' }), [0.5 * (Math.log(0.5) + 1)], 1e-15);
  });
  test('logTarget gives the same divergence as probabilities', () => {
    const x = logSoftmax(leaf([3, 6], 6), 1);
    const logT = logSoftmax(leaf([3, 6], 7), 1);
    assertClose(klDivLoss(x, logT, { logTarget: true, reduction: 'none' }), values(klDivLoss(x, softmax(leaf([3, 6], 7), 1), { reduction: 'none' })), 1e-13);
  });
  test('identical distributions have zero divergence', () => {
    const x = logSoftmax(leaf([2, 3], 8), 1);
    const divergence = values(klDivLoss(x, softmax(leaf([2, 3], 8), 1), { reduction: 'none' }));
    assert.ok(divergence.every((v) => Math.abs(v) < 1e-15), String(divergence));
  });
  test('errors', () => {
    assertThrows(() => klDivLoss(zeros([4, 3]), zeros([4, 1])), ShapeError, 'klDivLoss', 'input [4,3]', 'target [4,1]');
    assertThrows(() => klDivLoss(zeros([2]), zeros([2]), { reduction: 'avg' as KlDivReduction }), ArgumentError, "'avg'", "'batchmean'");
    assertThrows(() => klDivLoss(zeros([2]), zeros([2]), { logTarget: 'no' as unknown as boolean }), ArgumentError, 'logTarget');
    assert.ok(Number.isNaN(klDivLoss(zeros([0, 3]), zeros([0, 3]), { reduction: 'batchmean' }).item()));
  });
});
