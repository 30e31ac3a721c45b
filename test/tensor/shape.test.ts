import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ArgumentError, ShapeError, broadcastShapes, sizeOf } from '../../src/index.js';
import {
  contiguousStrides,
  formatShape,
  normalizeAxis,
  reducedAxes,
  sameShape,
  validateShape,
} from '../../src/tensor/shape.js';

describe('sizeOf / formatShape / sameShape / contiguousStrides', () => {
  test('sizeOf', () => {
    assert.equal(sizeOf([]), 1);
    assert.equal(sizeOf([2, 3, 4]), 24);
    assert.equal(sizeOf([2, 0, 4]), 0);
  });

  test('formatShape', () => {
    assert.equal(formatShape([]), '[]');
    assert.equal(formatShape([2, 3]), '[2,3]');
  });

  test('sameShape', () => {
    assert.equal(sameShape([2, 3], [2, 3]), true);
    assert.equal(sameShape([2, 3], [3, 2]), false);
    assert.equal(sameShape([2], [2, 1]), false);
    assert.equal(sameShape([], []), true);
  });

  test('contiguousStrides', () => {
    assert.deepEqual(contiguousStrides([2, 3, 4]), [12, 4, 1]);
    assert.deepEqual(contiguousStrides([]), []);
    assert.deepEqual(contiguousStrides([5]), [1]);
  });
});

describe('validateShape', () => {
  test('accepts non-negative integers', () => {
    assert.doesNotThrow(() => validateShape([0, 1, 7], 'op'));
    assert.doesNotThrow(() => validateShape([], 'op'));
  });

  test('rejects negative, fractional and non-finite extents naming the op', () => {
    for (const bad of [[-1], [2, 1.5], [NaN], [Infinity]]) {
      assert.throws(() => validateShape(bad, 'myop'), (e: unknown) => e instanceof ShapeError && e.message.startsWith('myop: shape'), String(bad));
    }
  });
});

describe('broadcastShapes', () => {
  test('successful broadcasts', () => {
    assert.deepEqual(broadcastShapes([2, 3], [2, 3], 'add'), [2, 3]);
    assert.deepEqual(broadcastShapes([2, 1], [1, 3], 'add'), [2, 3]);
    assert.deepEqual(broadcastShapes([3], [4, 1, 3], 'add'), [4, 1, 3]);
    assert.deepEqual(broadcastShapes([4, 1, 3], [], 'add'), [4, 1, 3]);
    assert.deepEqual(broadcastShapes([], [], 'add'), []);
    assert.deepEqual(broadcastShapes([0, 1], [1, 5], 'add'), [0, 5]);
    assert.deepEqual(broadcastShapes([1], [0], 'add'), [0]);
  });

  test('incompatible shapes name the op, both shapes and the dimension', () => {
    assert.throws(
      () => broadcastShapes([2, 3], [4, 3], 'mul'),
      (e: unknown) =>
        e instanceof ShapeError &&
        e.message.startsWith('mul:') &&
        e.message.includes('[2,3]') &&
        e.message.includes('[4,3]') &&
        e.message.includes('dimension -2: 2 vs 4'),
    );
    assert.throws(() => broadcastShapes([3], [2, 4], 'where'), (e: unknown) => e instanceof ShapeError && /^where: .*\[3\].*\[2,4\]/.test(e.message));
  });
});

describe('normalizeAxis', () => {
  test('resolves negative axes', () => {
    assert.equal(normalizeAxis(0, 3, 'op'), 0);
    assert.equal(normalizeAxis(2, 3, 'op'), 2);
    assert.equal(normalizeAxis(-1, 3, 'op'), 2);
    assert.equal(normalizeAxis(-3, 3, 'op'), 0);
  });

  test('out-of-range and fractional axes give the valid range', () => {
    for (const axis of [3, -4, 0.5]) {
      assert.throws(
        () => normalizeAxis(axis, 3, 'softmax'),
        (e: unknown) => e instanceof ArgumentError && e.message.startsWith(`softmax: axis ${axis}`) && e.message.includes('valid: -3..2'),
        String(axis),
      );
    }
  });
});

describe('reducedAxes', () => {
  test('undefined reduces every axis', () => {
    assert.deepEqual(reducedAxes(undefined, 3, 'sum'), [true, true, true]);
    assert.deepEqual(reducedAxes(undefined, 0, 'sum'), []);
  });

  test('a number or a list flags those axes', () => {
    assert.deepEqual(reducedAxes(1, 3, 'sum'), [false, true, false]);
    assert.deepEqual(reducedAxes([0, -1], 3, 'sum'), [true, false, true]);
    assert.deepEqual(reducedAxes([], 2, 'sum'), [false, false]);
  });

  test('duplicates, also via negative aliases, are ArgumentErrors', () => {
    assert.throws(() => reducedAxes([1, 1], 3, 'sum'), (e: unknown) => e instanceof ArgumentError && /sum: axis 1 is given twice/.test(e.message));
    assert.throws(() => reducedAxes([0, -3], 3, 'mean'), (e: unknown) => e instanceof ArgumentError && /mean: axis -3 is given twice/.test(e.message));
  });

  test('out-of-range axes are ArgumentErrors', () => {
    assert.throws(() => reducedAxes([5], 3, 'max'), ArgumentError);
  });
});
