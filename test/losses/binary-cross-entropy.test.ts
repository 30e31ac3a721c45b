import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DTypeError, ShapeError, fromArray, rand, Generator, zeros, type Reduction, type Tensor } from '../../src/index.js';
import { binaryCrossEntropyWithLogits as bce } from '../../src/losses/index.js';
import { gradcheck, leaf } from '../helpers/gradcheck.js';
import { assertClose, assertThrows, f64, ints, values } from './util.js';

const REDUCTIONS: Reduction[] = ['mean', 'sum', 'none'];

/** Targets in [0, 1) as a float64 leaf. */
function soft(shape: number[], seed: number): Tensor {
  return rand(shape, { dtype: 'float64', generator: new Generator(seed) }).setRequiresGrad();
}

describe('binaryCrossEntropyWithLogits', () => {
  for (const reduction of REDUCTIONS) {
    test(`gradients (logits and targets): plain, weight, posWeight, ${reduction}`, () => {
      gradcheck((x, t) => bce(x!, t!, { reduction }), [leaf([4, 3], 1, 3), soft([4, 3], 2)]);
      gradcheck((x, t) => bce(x!, t!, { reduction, weight: f64([0.5, 2, 1]), posWeight: f64([3, 0.25, 1]) }), [
        leaf([4, 3], 3, 3),
        soft([4, 3], 4),
      ]);
      gradcheck((x) => bce(x!, f64([1, 0, 1, 0, 0, 1]), { reduction, weight: f64([2], [1]) }), [leaf([6], 5, 30)], { eps: 1e-5 });
    });
  }
  test('values: −(pw · t · log σ(x) + (1 − t) · log(1 − σ(x)))', () => {
    const x = [-2, 0.5, 3];
    const t = [0.25, 1, 0];
    const pw = 2;
    const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
    const expected = x.map((v, i) => -(pw * t[i]! * Math.log(sigmoid(v)) + (1 - t[i]!) * Math.log(1 - sigmoid(v))));
    assertClose(bce(f64(x), f64(t), { posWeight: f64([pw]), reduction: 'none' }), expected, 1e-14);
  });
  test('stable and precise where σ(x) rounds to 0 or 1', () => {
    const x = fromArray([1000, -1000, 20, -20, 40], { dtype: 'float64', requiresGrad: true });
    const t = f64([1, 0, 1, 0, 1]);
    const loss = bce(x, t, { reduction: 'none' });
    // log1p(e^−20) to full precision (log(1 + e^−20), as PyTorch computes it, is off by 3e-8 relative).
    assertClose(loss, [0, 0, Math.log1p(Math.exp(-20)), Math.log1p(Math.exp(-20)), Math.exp(-40)], 1e-15);
    loss.sum().backward();
    assertClose(x.grad!, [0, 0, -1 / (1 + Math.exp(20)), 1 / (1 + Math.exp(20)), -1 / (1 + Math.exp(40))], 1e-15);
    assertClose(bce(f64([1000, -1000]), f64([0, 1]), { reduction: 'none' }), [1000, 1000]);
  });
  test('integer 0/1 targets are accepted; float32 logits give a float32 loss', () => {
    const x = fromArray([0.3, -1.2, 2]);
    const loss = bce(x, ints([1, 0, 1], [3], 'uint8'));
    assert.equal(loss.dtype, 'float32');
    assertClose(loss, values(bce(x, fromArray([1, 0, 1]))), 0);
    assert.equal(bce(x, f64([1, 0, 1])).dtype, 'float32');
  });
  test('errors: no broadcasting of [N, 1] against [N]; weights must fit the logits', () => {
    assertThrows(() => bce(zeros([4, 1]), zeros([4])), ShapeError, 'binaryCrossEntropyWithLogits', 'logits [4,1]', 'target [4]', 'same shape', 'reshape(target, [4, 1])');
    assertThrows(() => bce(zeros([4, 3]), zeros([4, 3]), { posWeight: zeros([4]) }), ShapeError, 'posWeight', '[4]', '[4,3]');
    assertThrows(() => bce(zeros([4]), zeros([4]), { weight: zeros([4, 1]) }), ShapeError, 'weight', '[4,1]', 'may not add dimensions');
    assertThrows(() => bce(zeros([2], { dtype: 'int32' }), zeros([2])), DTypeError, 'binaryCrossEntropyWithLogits: logits');
  });
});
