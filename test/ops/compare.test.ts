import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DTypeError, ShapeError, eq, fromArray, ge, gt, le, lt, ne, where, type Tensor, type TensorLike } from '../../src/index.js';
import { leaf, leafOf } from '../helpers/gradcheck.js';
import { assertThrows, checkGrad, ints, values } from './util.js';

const COMPARISONS: [string, (a: TensorLike, b: TensorLike) => Tensor, number[]][] = [
  // a = [1, 2, 3], b = 2
  ['eq', eq, [0, 1, 0]],
  ['ne', ne, [1, 0, 1]],
  ['lt', lt, [1, 0, 0]],
  ['le', le, [1, 1, 0]],
  ['gt', gt, [0, 0, 1]],
  ['ge', ge, [0, 1, 1]],
];

describe('comparisons', () => {
  for (const [name, op, expected] of COMPARISONS) {
    test(`${name} returns a uint8 mask`, () => {
      const a = fromArray([1, 2, 3], { dtype: 'float64' });
      const out = op(a, 2);
      assert.equal(out.dtype, 'uint8');
      assert.deepEqual(values(out), expected);
      assert.deepEqual(values(op(a, fromArray([2, 2, 2]))), expected, 'tensor operand of another dtype');
      assert.deepEqual(values(op(ints([1, 2, 3]), 2)), expected, 'int32 operand');
      assert.equal(op(2, a).dtype, 'uint8');
    });
    test(`${name} broadcasts and carries no gradient`, () => {
      const a = leaf([3, 1], 1);
      const out = op(a, leaf([4], 2));
      assert.deepEqual(out.shape, [3, 4]);
      assert.equal(out.requiresGrad, false);
      assert.equal(out.gradFn, null);
    });
    test(`${name} on views and empty tensors`, () => {
      const x = fromArray([[1, 2], [3, 4]]);
      const equalGives = name === 'eq' || name === 'le' || name === 'ge' ? 1 : 0;
      assert.deepEqual(op(x.transpose(), fromArray([[1, 3], [2, 4]])).toArray(), [[equalGives, equalGives], [equalGives, equalGives]]);
      assert.deepEqual(op(fromArray([], { shape: [0, 3] }), fromArray([1, 2, 3])).shape, [0, 3]);
    });
    test(`${name} shape mismatch names the op and both shapes`, () => {
      assertThrows(() => op(fromArray([[1, 2, 3], [4, 5, 6]]), fromArray([1, 2, 3, 4])), ShapeError, name, '[2,3]', '[4]');
    });
  }
  test('NaN compares unequal to everything, itself included', () => {
    const n = fromArray([NaN, NaN, 1]);
    const m = fromArray([NaN, 1, NaN]);
    assert.deepEqual(values(eq(n, m)), [0, 0, 0]);
    assert.deepEqual(values(ne(n, m)), [1, 1, 1]);
    assert.deepEqual(values(lt(n, m)), [0, 0, 0]);
    assert.deepEqual(values(ge(n, m)), [0, 0, 0]);
  });
  test('tensor methods', () => {
    const a = fromArray([1, 2, 3]);
    assert.deepEqual(values(a.gt(1)), [0, 1, 1]);
    assert.deepEqual(values(a.le(a)), [1, 1, 1]);
  });
});

describe('where', () => {
  test('forward values with broadcasting and number operands', () => {
    const cond = gt(fromArray([[1], [-1]]), 0); // [2,1]
    const a = fromArray([10, 20, 30], { dtype: 'float64' });
    assert.deepEqual(where(cond, a, -1).toArray(), [[10, 20, 30], [-1, -1, -1]]);
    assert.deepEqual(where(cond, 1, 2).toArray(), [[1], [2]]);
    assert.equal(where(cond, a, -1).dtype, 'float64');
    assert.equal(where(cond, ints([1]), fromArray([0.5])).dtype, 'float32');
  });
  test('gradient: same shapes', () => {
    const cond = gt(leaf([2, 3], 9), 0);
    checkGrad((a, b) => where(cond, a!, b!), [leaf([2, 3], 1), leaf([2, 3], 2)], [2, 3]);
  });
  test('gradient: broadcasting condition and operands', () => {
    const cond = gt(leaf([3, 1, 4], 10), 0);
    checkGrad((a, b) => where(cond, a!, b!), [leaf([2, 4], 3), leaf([3, 1, 1], 4)], [3, 2, 4]);
    const rowCond = gt(leaf([4], 11), 0);
    checkGrad((a, b) => where(rowCond, a!, b!), [leaf([3, 1], 5), leaf([], 6)], [3, 4]);
  });
  test('gradient: number operands', () => {
    const cond = gt(leaf([2, 3], 12), 0);
    checkGrad((a) => where(cond, a!, 0.5), [leaf([2, 3], 7)], [2, 3]);
    checkGrad((b) => where(cond, -2, b!), [leaf([1, 3], 8)], [2, 3]);
  });
  test('gradient: non-contiguous views and empty tensors', () => {
    const cond = gt(leaf([3, 4], 13), 0);
    checkGrad((a, b) => where(cond, a!.transpose(), b!.slice([null, [0, 7, 2]])), [leaf([4, 3], 14), leaf([3, 7], 15)], [3, 4]);
    checkGrad((a, b) => where(cond, a!.expand([3, 4]), b!), [leaf([3, 1], 16), leaf([3, 4], 17)], [3, 4]);
    const empty = gt(fromArray([], { shape: [0, 3] }), 0);
    checkGrad((a, b) => where(empty, a!, b!), [leaf([0, 3], 18), leaf([3], 19)], [0, 3]);
  });
  test('gradient values follow the mask', () => {
    const a = leafOf([1, 2, 3]);
    const b = leafOf([4, 5, 6]);
    where(fromArray([1, 0, 1], { dtype: 'uint8' }), a, b).sum().backward();
    assert.deepEqual(values(a.grad!), [1, 0, 1]);
    assert.deepEqual(values(b.grad!), [0, 1, 0]);
  });
  test('a non-uint8 condition is a DTypeError naming uint8', () => {
    assertThrows(() => where(fromArray([1, 0]), fromArray([1, 2]), 0), DTypeError, 'where', 'uint8', 'float32');
  });
  test('a condition that does not broadcast is a ShapeError', () => {
    assertThrows(() => where(gt(fromArray([1, 2, 3]), 0), fromArray([1, 2]), 0), ShapeError, 'where', '[3]', '[2]');
  });
});
