import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ShapeError,
  Tensor,
  add,
  div,
  fromArray,
  maximum,
  minimum,
  mul,
  pow,
  sub,
  type TensorLike,
} from '../../src/index.js';
import { leaf, leafOf } from '../helpers/gradcheck.js';
import { assertClose, assertThrows, checkGrad, ints, leafMapped, positive, values } from './util.js';

type Binary = (a: TensorLike, b: TensorLike) => Tensor;

/** Operands for a binary op; divisors are kept away from 0. */
function operand(op: string, shape: readonly number[], seed: number, isRight: boolean): Tensor {
  return op === 'div' && isRight ? leafMapped(shape, seed, (v) => (v >= 0 ? 0.5 + v : v - 0.5)) : leaf(shape, seed);
}

const BINARY: [string, Binary][] = [
  ['add', add],
  ['sub', sub],
  ['mul', mul],
  ['div', div],
  ['maximum', maximum],
  ['minimum', minimum],
];

describe('binary ops: gradients', () => {
  for (const [name, op] of BINARY) {
    describe(name, () => {
      test('same shape', () => {
        checkGrad(op, [operand(name, [2, 3], 1, false), operand(name, [2, 3], 2, true)], [2, 3]);
      });
      test('broadcast [3,1,4] with [2,4]', () => {
        checkGrad(op, [operand(name, [3, 1, 4], 3, false), operand(name, [2, 4], 4, true)], [3, 2, 4]);
      });
      test('broadcast [2,4] with [3,1,4] (other order)', () => {
        checkGrad(op, [operand(name, [2, 4], 5, false), operand(name, [3, 1, 4], 6, true)], [3, 2, 4]);
      });
      test('size-1 dimensions [1,3] with [2,1]', () => {
        checkGrad(op, [operand(name, [1, 3], 7, false), operand(name, [2, 1], 8, true)], [2, 3]);
      });
      test('0-d tensor with [2,3]', () => {
        checkGrad(op, [operand(name, [], 9, false), operand(name, [2, 3], 10, true)], [2, 3]);
        checkGrad(op, [operand(name, [2, 3], 11, false), operand(name, [], 12, true)], [2, 3]);
      });
      test('number operand on either side', () => {
        checkGrad((a) => op(a, 1.7), [leaf([2, 3], 13)], [2, 3]);
        const right = operand(name, [2, 3], 14, true);
        checkGrad((b) => op(-0.6, b), [right], [2, 3]);
      });
      test('size-0 dimension [0,3] with [3]', () => {
        const a = operand(name, [0, 3], 15, false);
        const b = operand(name, [3], 16, true);
        checkGrad(op, [a, b], [0, 3]);
        assert.deepEqual(values(b.grad!), [0, 0, 0]);
      });
      test('non-contiguous views: transpose, strided slice, expand', () => {
        checkGrad((a, b) => op(a!.transpose(), b!), [operand(name, [4, 3], 17, false), operand(name, [3, 4], 18, true)], [3, 4]);
        checkGrad((a, b) => op(a!, b!.transpose()), [operand(name, [3, 4], 19, false), operand(name, [4, 3], 20, true)], [3, 4]);
        checkGrad((a, b) => op(a!.slice([null, [0, 5, 2]]), b!), [operand(name, [2, 5], 21, false), operand(name, [2, 3], 22, true)], [2, 3]);
        checkGrad((a, b) => op(a!.expand([2, 3, 4]), b!), [operand(name, [3, 1], 23, false), operand(name, [4], 24, true)], [2, 3, 4]);
      });
      test('the same tensor on both sides', () => {
        const x = name === 'div' ? positive([2, 3], 25) : leaf([2, 3], 25);
        checkGrad((a) => op(a, a), [x], [2, 3]);
      });
      test('only one operand requires gradients', () => {
        const a = leaf([2, 3], 26);
        const b = operand(name, [3], 27, true).detach();
        checkGrad((x) => op(x, b), [a], [2, 3]);
        assert.equal(b.grad, null);
      });
    });
  }
});

describe('binary ops: forward values', () => {
  const a = fromArray([[1, -2, 3], [4, 5, -6]], { dtype: 'float64' });
  const b = fromArray([2, -4, 0.5], { dtype: 'float64' });
  test('add, sub, mul, div broadcast a row', () => {
    assert.deepEqual(add(a, b).toArray(), [[3, -6, 3.5], [6, 1, -5.5]]);
    assert.deepEqual(sub(a, b).toArray(), [[-1, 2, 2.5], [2, 9, -6.5]]);
    assert.deepEqual(mul(a, b).toArray(), [[2, 8, 1.5], [8, -20, -3]]);
    assert.deepEqual(div(a, b).toArray(), [[0.5, 0.5, 6], [2, -1.25, -12]]);
  });
  test('maximum and minimum', () => {
    assert.deepEqual(maximum(a, b).toArray(), [[2, -2, 3], [4, 5, 0.5]]);
    assert.deepEqual(minimum(a, b).toArray(), [[1, -4, 0.5], [2, -4, -6]]);
    assert.deepEqual(maximum(a, 0).toArray(), [[1, 0, 3], [4, 5, 0]]);
  });
  test('a number operand takes the tensor dtype', () => {
    const x = fromArray([1, 2], { dtype: 'float64' });
    assert.equal(add(x, 1).dtype, 'float64');
    assert.equal(add(1, x).dtype, 'float64');
    assert.equal(mul(fromArray([1, 2]), 0.5).dtype, 'float32');
    assert.equal(add(2, 3).ndim, 0);
  });
  test('tensor methods chain', () => {
    const x = fromArray([1, 2, 3], { dtype: 'float64' });
    assert.deepEqual(x.add(1).mul(2).sub(x).div(2).toArray(), [1.5, 2, 2.5]);
  });
});

describe('pow', () => {
  test('tensor exponent: gradients for base and exponent (positive base)', () => {
    checkGrad(pow, [positive([2, 3], 1), leaf([2, 3], 2)], [2, 3]);
  });
  test('tensor exponent with broadcasting and a 0-d exponent', () => {
    checkGrad(pow, [positive([3, 1, 4], 3), leaf([2, 4], 4)], [3, 2, 4]);
    checkGrad(pow, [positive([2, 3], 5), leaf([], 6)], [2, 3]);
  });
  test('number base, tensor exponent', () => {
    checkGrad((e) => pow(1.5, e), [leaf([2, 3], 7)], [2, 3]);
  });
  test('tensor exponent on views and empty tensors', () => {
    checkGrad((a, e) => pow(a!.transpose(), e!.slice([null, [0, 5, 2]])), [positive([3, 2], 8), leaf([2, 5], 9)], [2, 3]);
    checkGrad(pow, [positive([0, 3], 10), leaf([3], 11)], [0, 3]);
  });
  for (const exponent of [2, 3, 0.5, -1.5, 0, 1]) {
    test(`number exponent ${exponent}`, () => {
      checkGrad((x) => pow(x, exponent), [positive([2, 3], 12)], [2, 3]);
      checkGrad((x) => pow(x!.transpose(), exponent), [positive([3, 2], 13)], [2, 3]);
      checkGrad((x) => pow(x, exponent), [positive([0, 2], 14)], [0, 2]);
    });
  }
  test('integer number exponents on negative bases', () => {
    checkGrad((x) => pow(x, 3), [leaf([2, 3], 15)], [2, 3]);
    checkGrad((x) => pow(x, 2), [leaf([1, 4], 16)], [1, 4]);
    checkGrad((x) => pow(x!.expand([3, 4]), -2), [positive([1, 4], 17)], [3, 4]);
  });
  test('forward values', () => {
    assert.deepEqual(pow(fromArray([1, 2, 3], { dtype: 'float64' }), 2).toArray(), [1, 4, 9]);
    assert.deepEqual(pow(fromArray([4, 9], { dtype: 'float64' }), fromArray([0.5, -1], { dtype: 'float64' })).toArray(), [2, 1 / 9]);
    assert.deepEqual(pow(2, fromArray([0, 3], { dtype: 'float64' })).toArray(), [1, 8]);
  });
  test('the exponent gradient is 0 where the base is 0', () => {
    const base = leafOf([0, 2]);
    const exponent = leafOf([2, 3]);
    pow(base, exponent).sum().backward();
    assertClose(exponent.grad!, [0, 8 * Math.log(2)]);
    assertClose(base.grad!, [0, 12]);
  });
  test('pow of an integer tensor is float', () => {
    const x = ints([1, 2, 3]);
    assert.equal(pow(x, 2).dtype, 'float32');
    assert.deepEqual(pow(x, 2).toArray(), [1, 4, 9]);
    assert.equal(pow(x, ints([2, 2, 2])).dtype, 'float32');
  });
});

describe('maximum / minimum: ties and NaN', () => {
  test('a tie splits the gradient evenly', () => {
    const a = leafOf([1, 2, 3]);
    const b = leafOf([1, 0, 5]);
    maximum(a, b).backward(fromArray([2, 2, 2], { dtype: 'float64' }));
    assert.deepEqual(values(a.grad!), [1, 2, 0]);
    assert.deepEqual(values(b.grad!), [1, 0, 2]);
    const c = leafOf([1, 2, 3]);
    const d = leafOf([1, 0, 5]);
    minimum(c, d).sum().backward();
    assert.deepEqual(values(c.grad!), [0.5, 0, 1]);
    assert.deepEqual(values(d.grad!), [0.5, 1, 0]);
  });
  test('NaN propagates from either side', () => {
    const a = fromArray([NaN, 1, 2]);
    const b = fromArray([0, NaN, 1]);
    assertClose(maximum(a, b), [NaN, NaN, 2]);
    assertClose(minimum(a, b), [NaN, NaN, 1]);
    assertClose(maximum(b, a), [NaN, NaN, 2]);
    assertClose(minimum(b, a), [NaN, NaN, 1]);
  });
});

describe('dtype promotion', () => {
  const i = ints([1, 2, 7]);
  test('int32 + 0.5 is float32', () => {
    const out = add(i, 0.5);
    assert.equal(out.dtype, 'float32');
    assert.deepEqual(out.toArray(), [1.5, 2.5, 7.5]);
    assert.equal(add(0.5, i).dtype, 'float32');
    assert.equal(mul(i, 0.5).dtype, 'float32');
  });
  test('int32 with an integer number stays int32', () => {
    const out = add(i, 2);
    assert.equal(out.dtype, 'int32');
    assert.deepEqual(out.toArray(), [3, 4, 9]);
    assert.equal(mul(3, i).dtype, 'int32');
  });
  test('int32 + int32 stays int32', () => {
    const out = add(i, ints([10, 20, 30]));
    assert.equal(out.dtype, 'int32');
    assert.deepEqual(out.toArray(), [11, 22, 37]);
    assert.equal(sub(i, i).dtype, 'int32');
    assert.equal(maximum(i, i).dtype, 'int32');
  });
  test('integer division is true division in float32', () => {
    const out = div(i, ints([2, 4, 2]));
    assert.equal(out.dtype, 'float32');
    assert.deepEqual(out.toArray(), [0.5, 0.5, 3.5]);
    assert.equal(div(i, 2).dtype, 'float32');
    assert.deepEqual(div(i, 2).toArray(), [0.5, 1, 3.5]);
  });
  test('mixed kinds and widths', () => {
    assert.equal(add(i, fromArray([1, 1, 1], { dtype: 'float64' })).dtype, 'float64');
    assert.equal(add(fromArray([1], { dtype: 'float32' }), fromArray([1], { dtype: 'float64' })).dtype, 'float64');
    assert.equal(add(ints([1], [1], 'uint8'), ints([1], [1], 'int8')).dtype, 'int32');
    assert.equal(add(ints([1], [1], 'int8'), fromArray([1])).dtype, 'float32');
  });
  test('gradients come back in each input’s own dtype', () => {
    const a = fromArray([1, 2], { dtype: 'float32', requiresGrad: true });
    const b = fromArray([3, 4], { dtype: 'float64', requiresGrad: true });
    mul(a, b).sum().backward();
    assert.equal(a.grad!.dtype, 'float32');
    assert.equal(b.grad!.dtype, 'float64');
    assert.deepEqual(values(a.grad!), [3, 4]);
    assert.deepEqual(values(b.grad!), [1, 2]);
  });
});

describe('binary ops: errors', () => {
  for (const [name, op] of [...BINARY, ['pow', pow] as [string, Binary]]) {
    test(`${name} of [2,3] and [4] names the op and both shapes`, () => {
      assertThrows(() => op(fromArray([[1, 2, 3], [4, 5, 6]]), fromArray([1, 2, 3, 4])), ShapeError, name, '[2,3]', '[4]');
    });
  }
  test('broadcast mismatch in a leading dimension', () => {
    assertThrows(() => add(leaf([2, 3, 4]), leaf([5, 1, 4])), ShapeError, 'add', '[2,3,4]', '[5,1,4]');
  });
});
