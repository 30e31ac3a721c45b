import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ArgumentError,
  Tensor,
  abs,
  clamp,
  exp,
  fromArray,
  log,
  neg,
  reciprocal,
  rsqrt,
  sign,
  sqrt,
  square,
} from '../../src/index.js';
import { leaf, leafOf } from '../helpers/gradcheck.js';
import { assertClose, assertThrows, awayFromZero, checkGrad, ints, positive, values } from './util.js';

type Unary = (x: Tensor) => Tensor;

/** Each op with the inputs it is smooth on. */
const OPS: [string, Unary, (shape: readonly number[], seed: number) => Tensor][] = [
  ['neg', neg, leaf],
  ['exp', exp, leaf],
  ['log', log, positive],
  ['sqrt', sqrt, positive],
  ['rsqrt', rsqrt, positive],
  ['abs', abs, awayFromZero],
  ['sign', sign, awayFromZero],
  ['square', square, leaf],
  ['reciprocal', reciprocal, positive],
  ['clamp(min, max)', (x) => clamp(x, -0.35, 0.45), leaf],
  ['clamp(min)', (x) => clamp(x, -0.35), leaf],
  ['clamp(undefined, max)', (x) => clamp(x, undefined, 0.45), leaf],
  ['clamp()', (x) => clamp(x), leaf],
];

describe('unary ops: gradients', () => {
  for (const [name, op, make] of OPS) {
    describe(name, () => {
      test('[2,3]', () => checkGrad(op, [make([2, 3], 1)], [2, 3]));
      test('size-1 dimensions and 0-d', () => {
        checkGrad(op, [make([1, 4, 1], 2)], [1, 4, 1]);
        checkGrad(op, [make([], 3)], []);
      });
      test('size-0 dimension', () => checkGrad(op, [make([0, 3], 4)], [0, 3]));
      test('non-contiguous views', () => {
        checkGrad((x) => op(x!.transpose()), [make([4, 3], 5)], [3, 4]);
        checkGrad((x) => op(x!.slice([null, [0, 5, 2]])), [make([2, 5], 6)], [2, 3]);
        checkGrad((x) => op(x!.expand([2, 3, 4])), [make([3, 1], 7)], [2, 3, 4]);
      });
    });
  }
  test('the clamp test inputs straddle both bounds without touching them', () => {
    const x = values(leaf([2, 3], 1));
    assert.ok(x.some((v) => v < -0.35) && x.some((v) => v > 0.45) && x.some((v) => v > -0.35 && v < 0.45));
    assert.ok(x.every((v) => Math.abs(v + 0.35) > 1e-3 && Math.abs(v - 0.45) > 1e-3));
  });
});

describe('unary ops: forward values', () => {
  const x = fromArray([-2, -0.5, 0, 0.5, 2], { dtype: 'float64' });
  test('elementwise results', () => {
    assert.deepEqual(neg(x).toArray(), [2, 0.5, -0, -0.5, -2]);
    assertClose(exp(x), [Math.exp(-2), Math.exp(-0.5), 1, Math.exp(0.5), Math.exp(2)]);
    assert.deepEqual(abs(x).toArray(), [2, 0.5, 0, 0.5, 2]);
    assert.deepEqual(square(x).toArray(), [4, 0.25, 0, 0.25, 4]);
    assert.deepEqual(sign(x).toArray(), [-1, -1, 0, 1, 1]);
    assert.deepEqual(clamp(x, -1, 1).toArray(), [-1, -0.5, 0, 0.5, 1]);
    const p = fromArray([0.25, 1, 4], { dtype: 'float64' });
    assert.deepEqual(sqrt(p).toArray(), [0.5, 1, 2]);
    assert.deepEqual(rsqrt(p).toArray(), [2, 1, 0.5]);
    assert.deepEqual(reciprocal(p).toArray(), [4, 1, 0.25]);
    assertClose(log(p), [Math.log(0.25), 0, Math.log(4)]);
  });
  test('log of 0 is −Infinity and of a negative number NaN', () => {
    assertClose(log(fromArray([0, -1])), [-Infinity, NaN]);
  });
  test('sign(NaN) is NaN; NaN passes through abs, neg and clamp', () => {
    const n = fromArray([NaN, -3, 4]);
    assertClose(sign(n), [NaN, -1, 1]);
    assertClose(abs(n), [NaN, 3, 4]);
    assertClose(neg(n), [NaN, 3, -4]);
    assertClose(clamp(n, 0, 1), [NaN, 0, 1]);
  });
  test('integer inputs: neg, abs, sign, square and clamp stay integer; float math gives float32', () => {
    const i = ints([-3, 0, 2]);
    for (const [name, op] of [['neg', neg], ['abs', abs], ['sign', sign], ['square', square]] as const) {
      assert.equal(op(i).dtype, 'int32', name);
    }
    assert.deepEqual(neg(i).toArray(), [3, 0, -2]);
    assert.deepEqual(abs(i).toArray(), [3, 0, 2]);
    assert.deepEqual(sign(i).toArray(), [-1, 0, 1]);
    assert.deepEqual(square(i).toArray(), [9, 0, 4]);
    assert.equal(clamp(i, -1, 1).dtype, 'int32');
    assert.deepEqual(clamp(i, -1, 1).toArray(), [-1, 0, 1]);
    for (const [name, op] of [['exp', exp], ['log', log], ['sqrt', sqrt], ['reciprocal', reciprocal]] as const) {
      assert.equal(op(i).dtype, 'float32', name);
    }
    assert.deepEqual(sqrt(ints([4, 9])).toArray(), [2, 3]);
  });
  test('float32 stays float32', () => {
    assert.equal(exp(fromArray([1])).dtype, 'float32');
    assert.equal(clamp(fromArray([1]), 0, 0.5).dtype, 'float32');
  });
});

describe('unary ops: gradients at the edges', () => {
  test('abs has gradient 0 at 0', () => {
    const x = leafOf([-2, 0, 3]);
    abs(x).sum().backward();
    assert.deepEqual(values(x.grad!), [-1, 0, 1]);
  });
  test('sign has a zero gradient', () => {
    const x = leafOf([-2, 0, 3]);
    sign(x).sum().backward();
    assert.deepEqual(values(x.grad!), [0, 0, 0]);
  });
  test('clamp passes the gradient where min ≤ x ≤ max, bounds included', () => {
    const x = leafOf([-1, 0, 0.5, 1, 2]);
    clamp(x, 0, 1).sum().backward();
    assert.deepEqual(values(x.grad!), [0, 1, 1, 1, 0]);
  });
  test('clamp with only one bound', () => {
    const x = leafOf([-1, 0.5, 2]);
    clamp(x, 0).sum().backward();
    assert.deepEqual(values(x.grad!), [0, 1, 1]);
    const y = leafOf([-1, 0.5, 2]);
    clamp(y, undefined, 1).sum().backward();
    assert.deepEqual(values(y.grad!), [1, 1, 0]);
  });
  test('tensor methods match the functions', () => {
    const x = fromArray([0.25, 4], { dtype: 'float64' });
    assert.deepEqual(x.sqrt().reciprocal().neg().abs().square().toArray(), [4, 0.25]);
    assert.deepEqual(x.clamp(0.5, 1).toArray(), [0.5, 1]);
  });
});

describe('unary ops: errors', () => {
  test('clamp with min > max', () => {
    assertThrows(() => clamp(fromArray([1]), 2, 1), ArgumentError, 'clamp', 'min (2)', 'max (1)');
  });
  test('clamp with a NaN bound', () => {
    assertThrows(() => clamp(fromArray([1]), NaN), ArgumentError, 'clamp', 'NaN');
    assertThrows(() => clamp(fromArray([1]), 0, NaN), ArgumentError, 'clamp', 'NaN');
  });
});
