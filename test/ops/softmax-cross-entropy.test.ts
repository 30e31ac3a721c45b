import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ArgumentError,
  DTypeError,
  ShapeError,
  fromArray,
  gather,
  logSoftmax,
  mean,
  neg,
  softmaxCrossEntropy,
  squeeze,
  sum,
  unsqueeze,
  zeros,
  type Reduction,
  type Tensor,
} from '../../src/index.js';
import { leaf, leafOf } from '../helpers/gradcheck.js';
import { assertClose, assertThrows, checkGrad, ints, values } from './util.js';

const REDUCTIONS: Reduction[] = ['mean', 'sum', 'none'];

/** The unfused reference: −log softmax at the target, reduced. */
function reference(logits: Tensor, target: Tensor, reduction: Reduction): Tensor {
  const perSample = neg(squeeze(gather(logSoftmax(logits, 1), 1, unsqueeze(target, 1)), 1));
  return reduction === 'none' ? perSample : reduction === 'sum' ? sum(perSample) : mean(perSample);
}

describe('softmaxCrossEntropy: gradients', () => {
  for (const reduction of REDUCTIONS) {
    describe(`reduction ${reduction}`, () => {
      const scalar = reduction !== 'none';
      test('[N,C] logits', () => {
        checkGrad((l) => softmaxCrossEntropy(l!, ints([2, 0, 1, 2]), reduction), [leaf([4, 3], 1)], scalar ? [] : [4]);
      });
      test('spatial [N,C,H,W] logits', () => {
        const target = ints([0, 2, 1, 1, 2, 2, 0, 1], [2, 2, 2]);
        checkGrad((l) => softmaxCrossEntropy(l!, target, reduction), [leaf([2, 3, 2, 2], 2)], scalar ? [] : [2, 2, 2]);
      });
      test('[N,C,L] logits and a single class', () => {
        checkGrad((l) => softmaxCrossEntropy(l!, ints([1, 0, 0, 1], [2, 2]), reduction), [leaf([2, 2, 2], 3)], scalar ? [] : [2, 2]);
        checkGrad((l) => softmaxCrossEntropy(l!, ints([0, 0]), reduction), [leaf([2, 1], 4)], scalar ? [] : [2]);
      });
      test('one sample, repeated targets, large logits', () => {
        checkGrad((l) => softmaxCrossEntropy(l!, ints([3]), reduction), [leaf([1, 5], 5)], scalar ? [] : [1]);
        checkGrad((l) => softmaxCrossEntropy(l!, ints([1, 1, 1]), reduction), [leaf([3, 4], 6, 30)], scalar ? [] : [3]);
      });
      test('non-contiguous logits and targets', () => {
        checkGrad((l) => softmaxCrossEntropy(l!.transpose(), ints([0, 3, 1]), reduction), [leaf([4, 3], 7)], scalar ? [] : [3]);
        checkGrad((l) => softmaxCrossEntropy(l!.permute([0, 3, 1, 2]), ints([1, 0, 2, 2], [1, 2, 2]), reduction), [leaf([1, 2, 2, 3], 8)], scalar ? [] : [1, 2, 2]);
        checkGrad((l) => softmaxCrossEntropy(l!.expand([3, 4]), ints([0, 1, 3, 2, 0, 2]).slice([[0, 6, 2]]), reduction), [leaf([1, 4], 9)], scalar ? [] : [3]);
      });
      test('size-0 batch', () => {
        const l = leaf([0, 3], 10);
        checkGrad((t) => softmaxCrossEntropy(t!, ints([]), reduction), [l], scalar ? [] : [0]);
      });
      test('matches the unfused composition (forward and gradient)', () => {
        const target = ints([1, 0, 2, 2, 1]);
        const a = leaf([5, 3], 11);
        const b = leaf([5, 3], 11);
        const fused = softmaxCrossEntropy(a, target, reduction);
        const plain = reference(b, target, reduction);
        assertClose(fused, values(plain), 1e-14);
        const upstream = scalar ? undefined : fromArray([1, -2, 0.5, 3, 1], { dtype: 'float64' });
        fused.backward(upstream);
        plain.backward(upstream);
        assertClose(a.grad!, values(b.grad!), 1e-14);
      });
    });
  }
});

describe('softmaxCrossEntropy: values', () => {
  test('hand-computed losses', () => {
    const logits = fromArray([[0, 0], [Math.log(3), 0]], { dtype: 'float64' });
    const target = ints([0, 0]);
    assertClose(softmaxCrossEntropy(logits, target, 'none'), [Math.log(2), Math.log(4 / 3)], 1e-15);
    assertClose(softmaxCrossEntropy(logits, target, 'sum'), [Math.log(2) + Math.log(4 / 3)], 1e-15);
    assertClose(softmaxCrossEntropy(logits, target), [(Math.log(2) + Math.log(4 / 3)) / 2], 1e-15);
    assert.deepEqual(softmaxCrossEntropy(logits, target).shape, []);
  });
  test('the gradient is (softmax − onehot) / N for mean', () => {
    const logits = leafOf([[0, 0], [Math.log(3), 0]]);
    softmaxCrossEntropy(logits, ints([1, 0])).backward();
    assertClose(logits.grad!, [0.25, -0.25, -0.125, 0.125], 1e-15);
  });
  test('huge logits (±1000) give finite losses and gradients', () => {
    for (const dtype of ['float64', 'float32'] as const) {
      const logits = fromArray([[1000, -1000, 0], [-1000, 1000, -1000], [1000, 1000, -1000]], { dtype, requiresGrad: true });
      const loss = softmaxCrossEntropy(logits, ints([0, 0, 1]), 'none');
      assertClose(loss, [0, 2000, Math.log(2)], 1e-6, `${dtype} loss`);
      const total = softmaxCrossEntropy(logits, ints([0, 0, 1]), 'sum');
      total.backward();
      assert.ok(values(logits.grad!).every(Number.isFinite), `${dtype} gradient ${values(logits.grad!)}`);
      assertClose(logits.grad!, [0, 0, 0, -1, 1, 0, 0.5, -0.5, 0], 1e-6, `${dtype} gradient`);
    }
  });
  test('size-0 batch: mean is NaN, sum is 0, none is empty', () => {
    const logits = zeros([0, 4]);
    assertClose(softmaxCrossEntropy(logits, ints([]), 'mean'), [NaN]);
    assertClose(softmaxCrossEntropy(logits, ints([]), 'sum'), [0]);
    assert.deepEqual(softmaxCrossEntropy(logits, ints([]), 'none').shape, [0]);
  });
  test('float32 logits give a float32 loss; int8/uint8 targets work', () => {
    const logits = fromArray([[1, 2, 3]]);
    assert.equal(softmaxCrossEntropy(logits, ints([2])).dtype, 'float32');
    assertClose(softmaxCrossEntropy(logits, ints([2], [1], 'uint8')), values(softmaxCrossEntropy(logits, ints([2]))));
  });
});

describe('softmaxCrossEntropy: errors', () => {
  const logits = zeros([2, 3]);
  test('float targets: DTypeError naming int32', () => {
    assertThrows(() => softmaxCrossEntropy(logits, fromArray([0, 1])), DTypeError, 'softmaxCrossEntropy', 'int32', 'float32');
  });
  test('integer logits: DTypeError naming float32', () => {
    assertThrows(() => softmaxCrossEntropy(zeros([2, 3], { dtype: 'int32' }), ints([0, 1])), DTypeError, 'softmaxCrossEntropy', 'float32', 'int32');
  });
  test('out-of-range targets: ArgumentError', () => {
    assertThrows(() => softmaxCrossEntropy(logits, ints([0, 3])), ArgumentError, 'softmaxCrossEntropy', 'target 3', '0..2');
    assertThrows(() => softmaxCrossEntropy(logits, ints([-1, 0])), ArgumentError, 'softmaxCrossEntropy', 'target -1');
  });
  test('targets of the wrong shape name both shapes', () => {
    assertThrows(() => softmaxCrossEntropy(logits, ints([0, 1, 2])), ShapeError, 'softmaxCrossEntropy', '[3]', '[2,3]');
    assertThrows(() => softmaxCrossEntropy(zeros([2, 3, 4, 4]), ints([0, 1])), ShapeError, 'softmaxCrossEntropy', '[2]', '[2,3,4,4]', '[2,4,4]');
  });
  test('1-D logits', () => {
    assertThrows(() => softmaxCrossEntropy(zeros([3]), ints([0])), ShapeError, 'softmaxCrossEntropy', '[3]');
  });
});
