import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ArgumentError,
  Tensor,
  argmax,
  argmin,
  fromArray,
  logSumExp,
  max,
  mean,
  min,
  std,
  sum,
  variance,
  zeros,
  type Axes,
  type VarianceOptions,
} from '../../src/index.js';
import { leaf, leafOf } from '../helpers/gradcheck.js';
import { assertClose, assertThrows, checkGrad, ints, values } from './util.js';

type Reduction = (x: Tensor, axes?: Axes, options?: VarianceOptions) => Tensor;

const REDUCTIONS: [string, Reduction][] = [
  ['sum', sum],
  ['mean', mean],
  ['max', max],
  ['min', min],
  ['var', variance],
  ['var(correction 0)', (x, axes, o) => variance(x, axes, { ...o, correction: 0 })],
  ['std', std],
  ['std(correction 0)', (x, axes, o) => std(x, axes, { ...o, correction: 0 })],
  ['logSumExp', logSumExp],
];

/** Axes of a [2,3,4] input with the output shapes without and with keepDim. */
const AXES: [string, Axes, number[], number[]][] = [
  ['all (omitted)', undefined, [], [1, 1, 1]],
  ['one axis', 1, [2, 4], [2, 1, 4]],
  ['first axis', 0, [3, 4], [1, 3, 4]],
  ['several axes', [0, 2], [3], [1, 3, 1]],
  ['negative axis', -1, [2, 3], [2, 3, 1]],
  ['several, negative and unordered', [-1, 1], [2], [2, 1, 1]],
  ['every axis listed', [0, 1, 2], [], [1, 1, 1]],
];

describe('reductions: gradients', () => {
  for (const [name, op] of REDUCTIONS) {
    describe(name, () => {
      for (const [label, axes, shape, keptShape] of AXES) {
        test(`${label}, keepDim false and true`, () => {
          checkGrad((x) => op(x!, axes), [leaf([2, 3, 4], 1)], shape);
          checkGrad((x) => op(x!, axes, { keepDim: true }), [leaf([2, 3, 4], 2)], keptShape);
        });
      }
      test('size-1 dimensions', () => {
        checkGrad((x) => op(x!, [1, 2]), [leaf([3, 1, 2], 3)], [3]);
        checkGrad((x) => op(x!, [0, 2], { keepDim: true }), [leaf([3, 1, 2], 4)], [1, 1, 1]);
      });
      test('0-d input', () => {
        if (name.startsWith('var') || name.startsWith('std')) return; // one element: no spread to differentiate
        checkGrad((x) => op(x!), [leaf([], 5)], []);
      });
      test('size-0 dimension that is kept', () => {
        checkGrad((x) => op(x!, 1), [leaf([0, 3], 6)], [0]);
        checkGrad((x) => op(x!, -1, { keepDim: true }), [leaf([0, 3], 7)], [0, 1]);
      });
      test('non-contiguous views', () => {
        checkGrad((x) => op(x!.transpose(), 1), [leaf([4, 3], 8)], [3]);
        checkGrad((x) => op(x!.slice([null, [0, 5, 2]]), 0), [leaf([2, 5], 9)], [3]);
        checkGrad((x) => op(x!.slice([null, [0, 5, 2]])), [leaf([2, 5], 10)], []);
        checkGrad((x) => op(x!.expand([3, 2, 4]), [1, 2]), [leaf([3, 1, 4], 11)], [3]);
        checkGrad((x) => op(x!.permute([2, 0, 1]), [-1, 0]), [leaf([2, 3, 2], 12)], [2]);
      });
    });
  }
  test('sum and mean over a size-0 axis: gradients of shape [0,3]', () => {
    checkGrad((x) => sum(x!, 0), [leaf([0, 3], 13)], [3]);
    checkGrad((x) => mean(x!, 0), [leaf([0, 3], 14)], [3]);
    checkGrad((x) => logSumExp(x!, 0), [leaf([0, 3], 15)], [3]);
    checkGrad((x) => sum(x!), [leaf([0, 3], 16)], []);
  });
  test('max/min tie splitting', () => {
    const x = leafOf([[1, 3, 3], [2, 0, -1]]);
    max(x, 1).sum().backward();
    assert.deepEqual(values(x.grad!), [0, 0.5, 0.5, 1, 0, 0]);
    const y = leafOf([[1, 3, 3], [2, 1, 1]]);
    min(y).backward();
    assert.deepEqual(values(y.grad!), [1 / 3, 0, 0, 0, 1 / 3, 1 / 3]);
    const z = leafOf([[5, 5], [5, 5]]);
    max(z).backward();
    assert.deepEqual(values(z.grad!), [0.25, 0.25, 0.25, 0.25]);
  });
});

describe('reductions: forward values', () => {
  const x = fromArray([[1, 2, 3], [4, 6, 8]], { dtype: 'float64' });
  test('sum, mean, max, min', () => {
    assert.equal(sum(x).item(), 24);
    assert.deepEqual(sum(x, 0).toArray(), [5, 8, 11]);
    assert.deepEqual(sum(x, 1, { keepDim: true }).toArray(), [[6], [18]]);
    assert.deepEqual(mean(x, -1).toArray(), [2, 6]);
    assert.deepEqual(max(x, 0).toArray(), [4, 6, 8]);
    assert.deepEqual(min(x, [0, 1]).toArray(), 1);
    assert.deepEqual(max(x, 1, { keepDim: true }).shape, [2, 1]);
  });
  test('variance and std: unbiased by default', () => {
    assertClose(variance(x, 1), [1, 4]);
    assertClose(variance(x, 1, { correction: 0 }), [2 / 3, 8 / 3]);
    assertClose(std(x, 1), [1, 2]);
    assertClose(variance(x), [(1 + 4 + 9 + 16 + 36 + 64 - 24 * 24 / 6) / 5]);
    assert.deepEqual(variance(x, 0, { keepDim: true }).shape, [1, 3]);
  });
  test('variance of a single element is NaN (0/0), as in PyTorch', () => {
    assertClose(variance(fromArray([3]), 0), [NaN]);
  });
  test('logSumExp', () => {
    assertClose(logSumExp(x, 1), [Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)), Math.log(Math.exp(4) + Math.exp(6) + Math.exp(8))], 1e-15);
    assertClose(logSumExp(fromArray([1000, 1000], { dtype: 'float64' })), [1000 + Math.log(2)], 1e-15);
    assertClose(logSumExp(fromArray([-1000, -1000], { dtype: 'float64' })), [-1000 + Math.log(2)], 1e-15);
  });
  test('logSumExp with infinities', () => {
    assertClose(logSumExp(fromArray([[-Infinity, -Infinity], [-Infinity, 0]]), 1), [-Infinity, 0]);
    assertClose(logSumExp(fromArray([-Infinity, -Infinity, -Infinity])), [-Infinity]);
    assertClose(logSumExp(fromArray([Infinity, 1])), [Infinity]);
  });
  test('integer sums stay int32; means are float32', () => {
    const i = ints([1, 2, 3, 4], [2, 2]);
    assert.equal(sum(i).dtype, 'int32');
    assert.equal(sum(i).item(), 10);
    assert.equal(sum(ints([200, 100], [2], 'uint8')).item(), 300);
    assert.equal(mean(i, 0).dtype, 'float32');
    assert.deepEqual(mean(i, 0).toArray(), [2, 3]);
    assert.equal(max(i).dtype, 'int32');
  });
  test('float32 sums accumulate in double precision', () => {
    const big = fromArray(new Float32Array(10001).fill(1).map((v, k) => (k === 0 ? 1e8 : v)));
    assert.equal(sum(big).item(), 1e8 + 10000);
  });
  test('NaN propagates through max and min', () => {
    const n = fromArray([[1, NaN, 3], [4, 5, 6]]);
    assertClose(max(n, 1), [NaN, 6]);
    assertClose(min(n, 1), [NaN, 4]);
    assertClose(max(n), [NaN]);
    assertClose(max(fromArray([NaN, 1, NaN])), [NaN]);
  });
  test('mean over an empty axis is NaN; sum is 0; logSumExp is −Infinity', () => {
    const e = zeros([0, 3]);
    assertClose(mean(e, 0), [NaN, NaN, NaN]);
    assertClose(mean(e), [NaN]);
    assert.deepEqual(sum(e, 0).toArray(), [0, 0, 0]);
    assertClose(logSumExp(e, 0), [-Infinity, -Infinity, -Infinity]);
    assert.deepEqual(mean(e, 1).shape, [0]);
  });
  test('tensor methods', () => {
    assert.equal(x.sum().item(), 24);
    assert.deepEqual(x.mean(0).toArray(), [2.5, 4, 5.5]);
    assertClose(x.var(1), [1, 4]);
    assertClose(x.std(1), [1, 2]);
    assert.deepEqual(x.max(1).toArray(), [3, 8]);
    assert.deepEqual(x.min(1).toArray(), [1, 4]);
    assertClose(x.logSumExp(), values(logSumExp(x)));
  });
});

describe('argmax / argmin', () => {
  const x = fromArray([[1, 7, 7, 0], [9, 2, 9, 0], [3, 3, 3, 3]], { dtype: 'float64' });
  test('along an axis, first index on ties, int32', () => {
    const am = argmax(x, 1);
    assert.equal(am.dtype, 'int32');
    assert.deepEqual(am.toArray(), [1, 0, 0]);
    assert.deepEqual(argmin(x, 1).toArray(), [3, 3, 0]);
    assert.deepEqual(argmax(x, 0).toArray(), [1, 0, 1, 2]);
    assert.deepEqual(argmin(x, 0).toArray(), [0, 1, 2, 0]);
    assert.deepEqual(argmax(x, -1).toArray(), [1, 0, 0]);
  });
  test('flattened, first index on ties', () => {
    assert.equal(argmax(x).item(), 4);
    assert.equal(argmin(x).item(), 3);
    assert.deepEqual(argmax(x).shape, []);
  });
  test('keepDim', () => {
    assert.deepEqual(argmax(x, 1, { keepDim: true }).toArray(), [[1], [0], [0]]);
    assert.deepEqual(argmin(x, 0, { keepDim: true }).shape, [1, 4]);
    assert.deepEqual(argmax(x, undefined, { keepDim: true }).shape, [1, 1]);
    assert.deepEqual(argmax(x, undefined, { keepDim: true }).toArray(), [[4]]);
  });
  test('non-contiguous input counts in logical order', () => {
    const t = x.transpose(); // [[1,9,3],[7,2,3],[7,9,3],[0,0,3]]
    assert.deepEqual(argmax(t, 1).toArray(), [1, 0, 1, 2]);
    assert.equal(argmax(t).item(), 1);
    assert.equal(argmin(t).item(), 9);
    assert.deepEqual(argmax(x.slice([null, [1, 4, 2]]), 1).toArray(), [0, 0, 0]);
  });
  test('NaN is the maximum and the minimum', () => {
    const n = fromArray([1, NaN, 5, NaN]);
    assert.equal(argmax(n).item(), 1);
    assert.equal(argmin(n).item(), 1);
  });
  test('integer input', () => {
    assert.equal(argmax(ints([3, 8, 8, 1])).item(), 1);
  });
  test('tensor methods', () => {
    assert.deepEqual(x.argmax(1).toArray(), [1, 0, 0]);
    assert.deepEqual(x.argmin(0).toArray(), [0, 1, 2, 0]);
  });
});

describe('reductions: errors', () => {
  test('max and min over an empty axis are ArgumentErrors', () => {
    assertThrows(() => max(zeros([0, 3]), 0), ArgumentError, 'max', '[0,3]');
    assertThrows(() => min(zeros([0, 3])), ArgumentError, 'min', '[0,3]');
    assertThrows(() => max(zeros([2, 0]), 1, { keepDim: true }), ArgumentError, 'max');
    assertThrows(() => argmax(zeros([0, 3]), 0), ArgumentError, 'argmax');
    assertThrows(() => argmin(zeros([0])), ArgumentError, 'argmin');
  });
  for (const [name, op] of REDUCTIONS) {
    const label = name.replace(/\(.*\)/, '');
    test(`${name}: an axis out of range names the valid range`, () => {
      assertThrows(() => op(zeros([2, 3, 4]), 3), ArgumentError, label, 'axis 3', '-3..2');
      assertThrows(() => op(zeros([2, 3, 4]), [0, -4]), ArgumentError, label, 'axis -4', '-3..2');
    });
    test(`${name}: a repeated axis is an ArgumentError`, () => {
      assertThrows(() => op(zeros([2, 3]), [1, -1]), ArgumentError, label, 'twice');
    });
  }
  test('argmax/argmin: bad axis', () => {
    assertThrows(() => argmax(zeros([2, 3]), 2), ArgumentError, 'argmax', '-2..1');
    assertThrows(() => argmin(zeros([2, 3]), 1.5), ArgumentError, 'argmin');
  });
});
