import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ArgumentError, DTypeError, ShapeError, fromArray, zeros, type Reduction } from '../../src/index.js';
import { nllLoss } from '../../src/losses/index.js';
import { gradcheck, leaf } from '../helpers/gradcheck.js';
import { assertClose, assertThrows, f64, ints, values } from './util.js';

const REDUCTIONS: Reduction[] = ['mean', 'sum', 'none'];

describe('nllLoss', () => {
  for (const reduction of REDUCTIONS) {
    test(`gradients: plain, weights + ignore, spatial, ${reduction}`, () => {
      gradcheck((x) => nllLoss(x!, ints([2, 0, 1, 2]), { reduction }), [leaf([4, 3], 1)]);
      gradcheck((x) => nllLoss(x!, ints([2, -100, 1, 0, -100]), { reduction, weight: f64([0.5, 2, 3]) }), [leaf([5, 3], 2)]);
      gradcheck((x) => nllLoss(x!, ints([1, 0, 2, 7, 1, 0], [2, 3]), { reduction, ignoreIndex: 7 }), [leaf([2, 3, 3], 3)]);
    });
  }
  test('values: −weight[y] · input[n, y]; mean divides by the counted weights', () => {
    const x = f64([-1, -2, -3, -4, -5, -6], [2, 3]);
    assertClose(nllLoss(x, ints([2, 0]), { reduction: 'none' }), [3, 4]);
    assertClose(nllLoss(x, ints([2, 0]), { weight: f64([2, 1, 4]) }), [(4 * 3 + 2 * 4) / 6]);
    assertClose(nllLoss(x, ints([2, -100]), { weight: f64([2, 1, 4]), reduction: 'none' }), [12, 0]);
    assertClose(nllLoss(x, ints([1, -100])), [2]);
  });
  test('an ignored position gives 0 even where its input is −∞', () => {
    const x = fromArray([[-Infinity, -1], [-0.5, -2]], { dtype: 'float64', requiresGrad: true });
    const loss = nllLoss(x, ints([-100, 0]), { reduction: 'sum' });
    assertClose(loss, [0.5]);
    loss.backward();
    assert.deepEqual(values(x.grad!), [0, 0, -1, 0]);
  });
  test('errors', () => {
    const x = zeros([2, 3]);
    assertThrows(() => nllLoss(x, fromArray([0, 1])), DTypeError, 'nllLoss', 'int32', 'float32');
    assertThrows(() => nllLoss(x, ints([0, 1, 2])), ShapeError, 'nllLoss', '[3]', 'logProbabilities [2,3]', 'expected [2]');
    assertThrows(() => nllLoss(x, ints([0, 5])), ArgumentError, 'nllLoss', 'target 5', 'position [1]');
    assertThrows(() => nllLoss(x, ints([0, 1]), { weight: f64([1]) }), ArgumentError, 'nllLoss', 'weight');
    assertThrows(() => nllLoss(zeros([3]), ints([0])), ShapeError, 'nllLoss', 'unsqueeze');
    assertThrows(() => nllLoss(x, ints([0, 1]), { reduction: 'batchmean' as Reduction }), ArgumentError, "'batchmean'");
  });
});
