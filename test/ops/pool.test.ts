import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ArgumentError,
  DTypeError,
  ShapeError,
  arange,
  avgPool2d,
  fromArray,
  globalAvgPool2d,
  maxPool2d,
  noGrad,
  ones,
  toType,
  zeros,
} from '../../src/index.js';
import { leaf, leafOf } from '../helpers/gradcheck.js';
import { assertClose, assertThrows, checkGrad, values } from './util.js';

describe('maxPool2d without gradients', () => {
  test('gives the same values and records nothing', () => {
    const x = leaf([2, 3, 7, 6], 20);
    for (const [kernel, options] of [[2, {}], [3, { stride: 2, padding: 1 }]] as const) {
      const recorded = maxPool2d(x, kernel, options);
      const plain = noGrad(() => maxPool2d(x, kernel, options));
      assert.equal(plain.requiresGrad, false);
      assert.deepEqual(values(plain), values(recorded));
      const single = noGrad(() => maxPool2d(toType(x, 'float32'), kernel, options));
      assertClose(single, values(recorded), 1e-6);
    }
  });
});

describe('maxPool2d: gradients (inputs without ties)', () => {
  test('2x2, default stride', () => checkGrad((x) => maxPool2d(x!, 2), [leaf([2, 2, 4, 4], 1)], [2, 2, 2, 2]));
  test('odd size: the last row/column is dropped', () => checkGrad((x) => maxPool2d(x!, 2), [leaf([1, 2, 5, 3], 2)], [1, 2, 2, 1]));
  test('3x3 stride 2 padding 1', () => checkGrad((x) => maxPool2d(x!, 3, { stride: 2, padding: 1 }), [leaf([1, 2, 5, 4], 3)], [1, 2, 3, 2]));
  test('[3,2] kernel, stride [1,2], padding [1,0]', () => {
    checkGrad((x) => maxPool2d(x!, [3, 2], { stride: [1, 2], padding: [1, 0] }), [leaf([1, 1, 4, 5], 4)], [1, 1, 4, 2]);
  });
  test('overlapping windows (stride 1)', () => checkGrad((x) => maxPool2d(x!, 2, { stride: 1 }), [leaf([1, 2, 4, 4], 5)], [1, 2, 3, 3]));
  test('size-1 kernel and 1x1 input', () => {
    checkGrad((x) => maxPool2d(x!, 1), [leaf([1, 2, 2, 3], 6)], [1, 2, 2, 3]);
    checkGrad((x) => maxPool2d(x!, 1), [leaf([1, 1, 1, 1], 7)], [1, 1, 1, 1]);
  });
  test('size-0 batch and channels', () => {
    checkGrad((x) => maxPool2d(x!, 2), [leaf([0, 2, 4, 4], 8)], [0, 2, 2, 2]);
    checkGrad((x) => maxPool2d(x!, 2), [leaf([2, 0, 4, 4], 9)], [2, 0, 2, 2]);
  });
  test('non-contiguous views', () => {
    checkGrad((x) => maxPool2d(x!.permute([0, 3, 1, 2]), 2), [leaf([1, 4, 4, 2], 10)], [1, 2, 2, 2]);
    checkGrad((x) => maxPool2d(x!.slice([null, null, [0, 8, 2]]), 2), [leaf([1, 1, 8, 4], 11)], [1, 1, 2, 2]);
    checkGrad((x) => maxPool2d(x!.expand([2, 2, 4, 4]), 2), [leaf([1, 1, 4, 4], 12)], [2, 2, 2, 2]);
  });
});

describe('avgPool2d: gradients', () => {
  for (const countIncludePad of [true, false]) {
    describe(`countIncludePad ${countIncludePad}`, () => {
      test('2x2, default stride', () => checkGrad((x) => avgPool2d(x!, 2, { countIncludePad }), [leaf([2, 2, 4, 4], 1)], [2, 2, 2, 2]));
      test('3x3 stride 2 padding 1', () => {
        checkGrad((x) => avgPool2d(x!, 3, { stride: 2, padding: 1, countIncludePad }), [leaf([1, 2, 5, 4], 2)], [1, 2, 3, 2]);
      });
      test('[2,3] kernel, stride [1,2], padding [1,1]', () => {
        checkGrad((x) => avgPool2d(x!, [2, 3], { stride: [1, 2], padding: [1, 1], countIncludePad }), [leaf([1, 1, 3, 5], 3)], [1, 1, 4, 3]);
      });
      test('size-0 batch', () => checkGrad((x) => avgPool2d(x!, 2, { countIncludePad }), [leaf([0, 1, 4, 4], 4)], [0, 1, 2, 2]));
      test('non-contiguous views', () => {
        checkGrad((x) => avgPool2d(x!.transpose(), 2, { padding: 1, countIncludePad }), [leaf([1, 2, 3, 4], 5)], [1, 2, 3, 2]);
        checkGrad((x) => avgPool2d(x!.expand([1, 3, 4, 4]), 3, { stride: 1, countIncludePad }), [leaf([1, 1, 4, 4], 6)], [1, 3, 2, 2]);
      });
    });
  }
});

describe('globalAvgPool2d: gradients', () => {
  test('[2,3,3,2]', () => checkGrad(globalAvgPool2d, [leaf([2, 3, 3, 2], 1)], [2, 3, 1, 1]));
  test('1x1 spatial and size-0 batch', () => {
    checkGrad(globalAvgPool2d, [leaf([2, 2, 1, 1], 2)], [2, 2, 1, 1]);
    checkGrad(globalAvgPool2d, [leaf([0, 2, 3, 3], 3)], [0, 2, 1, 1]);
  });
  test('non-contiguous view', () => checkGrad((x) => globalAvgPool2d(x!.permute([0, 3, 1, 2])), [leaf([1, 2, 3, 2], 4)], [1, 2, 1, 1]));
});

describe('pooling: forward values', () => {
  const x = arange(1, 17, 1, { dtype: 'float64' }).reshape([1, 1, 4, 4]);
  test('maxPool2d 2x2', () => assert.deepEqual(maxPool2d(x, 2).toArray(), [[[[6, 8], [14, 16]]]]));
  test('maxPool2d with padding: padding never wins', () => {
    const neg = fromArray([-5, -4, -3, -2], { dtype: 'float64', shape: [1, 1, 2, 2] });
    assert.deepEqual(maxPool2d(neg, 2, { stride: 1, padding: 1 }).toArray(), [[[[-5, -4, -4], [-3, -2, -2], [-3, -2, -2]]]]);
  });
  test('avgPool2d 2x2', () => assert.deepEqual(avgPool2d(x, 2).toArray(), [[[[3.5, 5.5], [11.5, 13.5]]]]));
  test('avgPool2d with padding: countIncludePad true and false', () => {
    assert.deepEqual(avgPool2d(x, 2, { padding: 1 }).toArray(), [[[[0.25, 1.25, 1], [3.5, 8.5, 5], [3.25, 7.25, 4]]]]);
    assert.deepEqual(avgPool2d(x, 2, { padding: 1, countIncludePad: true }).toArray(), [[[[0.25, 1.25, 1], [3.5, 8.5, 5], [3.25, 7.25, 4]]]]);
    assert.deepEqual(avgPool2d(x, 2, { padding: 1, countIncludePad: false }).toArray(), [[[[1, 2.5, 4], [7, 8.5, 10], [13, 14.5, 16]]]]);
  });
  test('globalAvgPool2d', () => {
    const out = globalAvgPool2d(fromArray([1, 2, 3, 4, 10, 20, 30, 40], { dtype: 'float64', shape: [1, 2, 2, 2] }));
    assert.deepEqual(out.shape, [1, 2, 1, 1]);
    assert.deepEqual(values(out), [2.5, 25]);
  });
  test('maxPool2d gives a tied window’s gradient to its first maximum', () => {
    const t = leafOf([3, 3, 1, 3, 2, 2, 2, 2], [1, 2, 2, 2]);
    maxPool2d(t, 2).sum().backward();
    assert.deepEqual(values(t.grad!), [1, 0, 0, 0, 1, 0, 0, 0]);
  });
  test('maxPool2d gradients accumulate where windows overlap', () => {
    const t = leafOf([0, 0, 0, 0, 9, 0, 0, 0, 0], [1, 1, 3, 3]);
    maxPool2d(t, 2, { stride: 1 }).sum().backward();
    assert.deepEqual(values(t.grad!), [0, 0, 0, 0, 4, 0, 0, 0, 0]);
  });
  test('maxPool2d propagates NaN', () => {
    assertClose(maxPool2d(fromArray([1, NaN, 2, 3], { shape: [1, 1, 2, 2] }), 2), [NaN]);
  });
  test('float32 in, float32 out, close to float64', () => {
    const d = leaf([1, 2, 5, 5], 3).detach();
    const f = toType(d, 'float32');
    assert.equal(maxPool2d(f, 2).dtype, 'float32');
    assert.equal(avgPool2d(f, 2).dtype, 'float32');
    assertClose(maxPool2d(f, 3, { stride: 2, padding: 1 }), values(maxPool2d(d, 3, { stride: 2, padding: 1 })), 1e-6);
    assertClose(avgPool2d(f, 3, { stride: 2, padding: 1 }), values(avgPool2d(d, 3, { stride: 2, padding: 1 })), 1e-6);
  });
});

describe('pooling: errors', () => {
  for (const [name, op] of [['maxPool2d', maxPool2d], ['avgPool2d', avgPool2d]] as const) {
    test(`${name}: input must be 4-D`, () => {
      assertThrows(() => op(zeros([2, 4, 4]), 2), ShapeError, name, '[2,4,4]');
    });
    test(`${name}: integer input is a DTypeError`, () => {
      assertThrows(() => op(zeros([1, 1, 4, 4], { dtype: 'int32' }), 2), DTypeError, name, 'float32', 'int32');
    });
    test(`${name}: padding over half the kernel`, () => {
      assertThrows(() => op(ones([1, 1, 4, 4]), 2, { padding: 2 }), ArgumentError, name, 'padding', 'half');
    });
    test(`${name}: kernel larger than the input`, () => {
      assertThrows(() => op(ones([1, 1, 2, 2]), 3), ShapeError, name, 'smaller than the kernel');
    });
    test(`${name}: non-positive kernel or stride`, () => {
      assertThrows(() => op(ones([1, 1, 4, 4]), 0), ArgumentError, name, 'kernelSize');
      assertThrows(() => op(ones([1, 1, 4, 4]), 2, { stride: [1, 0] }), ArgumentError, name, 'stride');
    });
  }
  test('globalAvgPool2d: input must be 4-D', () => {
    assertThrows(() => globalAvgPool2d(zeros([2, 4, 4])), ShapeError, 'globalAvgPool2d', '[2,4,4]');
  });
});
