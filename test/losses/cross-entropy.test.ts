import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ArgumentError,
  DTypeError,
  ShapeError,
  fromArray,
  logSoftmax,
  softmax,
  softmaxCrossEntropy,
  zeros,
  type Reduction,
  type Tensor,
} from '../../src/index.js';
import { crossEntropy, nllLoss, type CrossEntropyOptions } from '../../src/losses/index.js';
import { gradcheck, leaf } from '../helpers/gradcheck.js';
import { assertClose, assertThrows, f64, ints, values } from './util.js';

const REDUCTIONS: Reduction[] = ['mean', 'sum', 'none'];

/** Class probabilities of `shape` (softmax over dimension 1) as a float64 leaf. */
function probabilities(shape: number[], seed: number): Tensor {
  return softmax(leaf(shape, seed), 1).detach().setRequiresGrad();
}

describe('crossEntropy: gradients (float64 finite differences)', () => {
  const weight = f64([0.5, 2, 1.25, 0.75]);
  const target = ints([3, -100, 0, 2, 1, -100]);
  const spatialTarget = ints([0, 3, -100, 1, 2, 2, -100, 0], [2, 2, 2]);
  const options: [string, CrossEntropyOptions][] = [
    ['plain', {}],
    ['weights', { weight }],
    ['ignoreIndex', {}],
    ['label smoothing 0.3', { labelSmoothing: 0.3 }],
    ['smoothing + weights + ignore', { labelSmoothing: 0.2, weight }],
    ['label smoothing 1', { labelSmoothing: 1 }],
  ];
  for (const reduction of REDUCTIONS) {
    for (const [name, o] of options) {
      test(`${name}, ${reduction}`, () => {
        gradcheck((x) => crossEntropy(x!, target, { ...o, reduction }), [leaf([6, 4], 1)]);
        gradcheck((x) => crossEntropy(x!, spatialTarget, { ...o, reduction }), [leaf([2, 4, 2, 2], 2)]);
      });
    }
    test(`probability targets (logits and target), ${reduction}`, () => {
      gradcheck((x, p) => crossEntropy(x!, p!, { reduction }), [leaf([5, 3], 3), probabilities([5, 3], 4)]);
      gradcheck((x, p) => crossEntropy(x!, p!, { reduction, weight: f64([1, 3, 0.5]), labelSmoothing: 0.4 }), [
        leaf([2, 3, 2], 5),
        probabilities([2, 3, 2], 6),
      ]);
    });
  }
  test('huge logits (±1000): finite and exact gradients', () => {
    gradcheck((x) => crossEntropy(x!, ints([0, 1, 2]), { labelSmoothing: 0.1, weight: f64([1, 2, 3]) }), [leaf([3, 3], 7, 1000)], {
      eps: 1e-4,
    });
  });
});

describe('crossEntropy: values', () => {
  test('matches nllLoss(logSoftmax(x)) with weights and ignored targets', () => {
    const x = leaf([7, 5], 11);
    const t = ints([4, -100, 0, 3, -100, 1, 2]);
    const weight = f64([1, 2, 3, 4, 5]);
    for (const reduction of REDUCTIONS) {
      assertClose(crossEntropy(x, t, { weight, reduction }), values(nllLoss(logSoftmax(x, 1), t, { weight, reduction })), 1e-14);
    }
  });
  test('weighted mean divides by the weights of the counted targets', () => {
    const x = f64([0, 0, 0, 0], [2, 2]);
    // Both losses are log 2; weights 3 and 1 → (3 log 2 + 1 log 2) / 4.
    assertClose(crossEntropy(x, ints([0, 1]), { weight: f64([3, 1]) }), [Math.LN2], 1e-15);
    assertClose(crossEntropy(x, ints([0, -100]), { weight: f64([3, 1]) }), [Math.LN2], 1e-15);
  });
  test('label smoothing ε: the target is (1 − ε) · onehot + ε / C', () => {
    const x = leaf([4, 3], 12);
    const onehot = f64([1, 0, 0, 0, 0, 1, 0, 1, 0, 1, 0, 0], [4, 3]);
    const smoothed = f64(values(onehot).map((v) => 0.7 * v + 0.1), [4, 3]);
    assertClose(crossEntropy(x, ints([0, 2, 1, 0]), { labelSmoothing: 0.3 }), values(crossEntropy(x, smoothed)), 1e-14);
    assertClose(crossEntropy(x, onehot, { labelSmoothing: 0.3 }), values(crossEntropy(x, smoothed)), 1e-14);
  });
  test('logits of ±1000 give finite, exact losses in float32 and float64', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const x = fromArray([[1000, -1000, 0], [-1000, 1000, -1000]], { dtype, requiresGrad: true });
      const loss = crossEntropy(x, ints([0, 0]), { reduction: 'none', labelSmoothing: 0.3 });
      assert.equal(loss.dtype, dtype);
      // (1 − ε) · nll + ε / C · Σ −log p. Row 0: 0.7 · 0 + 0.1 · (0 + 2000 + 1000); row 1: 0.7 · 2000 + 0.1 · (2000 + 0 + 2000).
      assertClose(loss, [300, 1800], 1e-7, dtype);
      crossEntropy(x, ints([0, 0]), { labelSmoothing: 0.3 }).backward();
      assert.ok(values(x.grad!).every(Number.isFinite));
    }
  });
  test('every target ignored: mean is NaN (0 / 0, as PyTorch), the gradient 0', () => {
    const x = leaf([2, 3], 13);
    const loss = crossEntropy(x, ints([-100, -100]), { labelSmoothing: 0.1 });
    assert.ok(Number.isNaN(loss.item()));
    loss.backward();
    assert.deepEqual(values(x.grad!), [0, 0, 0, 0, 0, 0]);
    assert.deepEqual(values(crossEntropy(x, ints([-100, -100]), { reduction: 'sum' })), [0]);
  });
  test("'none' keeps the positions' shape: [N] and [N, H, W]", () => {
    assert.deepEqual(crossEntropy(zeros([3, 4]), ints([0, 1, 2]), { reduction: 'none' }).shape, [3]);
    assert.deepEqual(crossEntropy(zeros([2, 4, 3, 3]), zeros([2, 3, 3], { dtype: 'int32' }), { reduction: 'none' }).shape, [2, 3, 3]);
    assert.deepEqual(crossEntropy(zeros([2, 4, 3]), zeros([2, 4, 3]), { reduction: 'none' }).shape, [2, 3]);
  });
  test('softmaxCrossEntropy keeps its signature; its options match crossEntropy', () => {
    const x = leaf([4, 3], 14);
    const t = ints([0, 2, 1, 2]);
    assertClose(softmaxCrossEntropy(x, t), values(crossEntropy(x, t)), 0);
    assertClose(softmaxCrossEntropy(x, t, 'none', { labelSmoothing: 0.2, weight: f64([1, 2, 3]) }), values(
      crossEntropy(x, t, { reduction: 'none', labelSmoothing: 0.2, weight: f64([1, 2, 3]) }),
    ), 0);
    // Without ignoreIndex the op ignores nothing: −100 is out of range.
    assertThrows(() => softmaxCrossEntropy(x, ints([0, -100, 1, 2])), ArgumentError, 'softmaxCrossEntropy', 'target -100');
  });
});

describe('crossEntropy: errors', () => {
  const x = zeros([2, 3]);
  test('float targets of the index shape: DTypeError', () => {
    assertThrows(() => crossEntropy(x, fromArray([0, 1])), DTypeError, 'crossEntropy', 'int32', 'float32', "toType('int32')");
  });
  test('integer targets of the logits shape: DTypeError (probabilities are float)', () => {
    assertThrows(() => crossEntropy(x, zeros([2, 3], { dtype: 'int32' })), DTypeError, 'crossEntropy', 'probabilities', '[2]');
  });
  test('targets of neither shape: ShapeError naming both shapes and the fix', () => {
    assertThrows(() => crossEntropy(x, ints([0, 1], [2, 1])), ShapeError, 'crossEntropy', '[2,1]', '[2,3]', 'expected [2]', 'squeeze');
    assertThrows(() => crossEntropy(zeros([3]), ints([0])), ShapeError, 'crossEntropy', '[3]', 'unsqueeze');
  });
  test('out-of-range class index: ArgumentError naming value and position', () => {
    assertThrows(() => crossEntropy(x, ints([0, 3])), ArgumentError, 'crossEntropy', 'target 3', 'position [1]', '0..2', 'ignoreIndex (-100)');
    assertThrows(() => crossEntropy(zeros([2, 3, 2]), ints([0, 1, -1, 2], [2, 2])), ArgumentError, 'target -1', 'position [1,0]');
  });
  test('labelSmoothing outside [0, 1]', () => {
    for (const labelSmoothing of [-0.1, 1.5, NaN]) {
      assertThrows(() => crossEntropy(x, ints([0, 1]), { labelSmoothing }), ArgumentError, 'crossEntropy', 'labelSmoothing', '[0, 1]');
    }
  });
  test('weight of the wrong length or rank', () => {
    assertThrows(() => crossEntropy(x, ints([0, 1]), { weight: f64([1, 2]) }), ArgumentError, 'crossEntropy', 'weight', '(3)', '[2]');
    assertThrows(() => crossEntropy(x, ints([0, 1]), { weight: f64([1, 2, 3], [1, 3]) }), ArgumentError, 'weight', '[1,3]');
  });
  test('ignoreIndex with probability targets; a non-integer ignoreIndex', () => {
    assertThrows(() => crossEntropy(x, zeros([2, 3]), { ignoreIndex: 1 }), ArgumentError, 'crossEntropy', 'ignoreIndex', 'class-index');
    assertThrows(() => crossEntropy(x, ints([0, 1]), { ignoreIndex: 0.5 }), ArgumentError, 'ignoreIndex', 'integer');
  });
  test('unknown reduction; integer logits', () => {
    assertThrows(() => crossEntropy(x, ints([0, 1]), { reduction: 'avg' as Reduction }), ArgumentError, 'crossEntropy', "'avg'", "'mean'");
    assertThrows(() => crossEntropy(zeros([2, 3], { dtype: 'int32' }), ints([0, 1])), DTypeError, 'crossEntropy: logits');
  });
});
