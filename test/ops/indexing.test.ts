import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ArgumentError, DTypeError, ShapeError, arange, fromArray, gather, indexSelect, oneHot, pad, slice, zeros, type SliceEntry } from '../../src/index.js';
import { leaf } from '../helpers/gradcheck.js';
import { assertThrows, checkGrad, ints, values } from './util.js';

describe('slice', () => {
  const x = arange(20).reshape([4, 5]);
  const cases: [string, SliceEntry[], number[], number[][] | number[]][] = [
    ['a row range', [[1, 3]], [2, 5], [[5, 6, 7, 8, 9], [10, 11, 12, 13, 14]]],
    ['a column step', [null, [0, 5, 2]], [4, 3], [[0, 2, 4], [5, 7, 9], [10, 12, 14], [15, 17, 19]]],
    ['negative start and end', [[-3, -1], [-2]], [2, 2], [[8, 9], [13, 14]]],
    ['a step without bounds', [[undefined, undefined, 3]], [2, 5], [[0, 1, 2, 3, 4], [15, 16, 17, 18, 19]]],
    ['an integer index drops the dimension', [2], [5], [10, 11, 12, 13, 14]],
    ['a negative integer index', [-1, [1, 4]], [3], [16, 17, 18]],
    ['an index in the second dimension', [null, 3], [4], [3, 8, 13, 18]],
    ['bounds beyond the extent are clamped', [[-100, 100, 2], [3, 100]], [2, 2], [[3, 4], [13, 14]]],
    ['an empty range', [[3, 1]], [0, 5], []],
  ];
  for (const [label, spec, shape, expected] of cases) {
    test(`${label}: values`, () => {
      const out = slice(x, spec);
      assert.deepEqual(out.shape, shape);
      assert.deepEqual(out.toArray(), expected);
      assert.equal(out.data, x.data, 'a slice is a view');
    });
    test(`${label}: gradient`, () => checkGrad((t) => slice(t!, spec), [leaf([4, 5], 1)], shape));
  }
  test('gradients: 3-D, slices of views, slices of slices, size-0 input', () => {
    checkGrad((t) => slice(t!, [null, 1, [1, 4, 2]]), [leaf([2, 3, 4], 2)], [2, 2]);
    checkGrad((t) => slice(t!.transpose(), [[1, 3], [0, 4, 3]]), [leaf([4, 3], 3)], [2, 2]);
    checkGrad((t) => slice(slice(t!, [null, [1, 5]]), [[0, 2], [1, 4, 2]]), [leaf([3, 5], 4)], [2, 2]);
    checkGrad((t) => slice(t!.expand([3, 4]), [[0, 3, 2], 1]), [leaf([1, 4], 5)], [2]);
    checkGrad((t) => slice(t!, [null, [0, 2]]), [leaf([0, 3], 6)], [0, 2]);
    checkGrad((t) => slice(t!, [0]), [leaf([3], 7)], []);
  });
  test('the gradient lands in the selected positions only', () => {
    const t = leaf([2, 4], 8);
    slice(t, [1, [0, 4, 2]]).sum().backward();
    assert.deepEqual(values(t.grad!), [0, 0, 0, 0, 1, 0, 1, 0]);
  });
  test('errors', () => {
    assertThrows(() => slice(x, [4]), ArgumentError, 'slice', 'index 4', 'size 4');
    assertThrows(() => slice(x, [-5]), ArgumentError, 'slice', 'index -5');
    assertThrows(() => slice(x, [null, 1.5]), ArgumentError, 'slice', '1.5');
    assertThrows(() => slice(x, [[0, 4, 0]]), ArgumentError, 'slice', 'step');
    assertThrows(() => slice(x, [[4, 0, -1]]), ArgumentError, 'slice', 'step');
    assertThrows(() => slice(x, [null, null, null]), ShapeError, 'slice', '[4,5]');
  });
});

describe('pad', () => {
  test('values: last dimension, last two dimensions, a fill value', () => {
    const x = fromArray([[1, 2], [3, 4]]);
    assert.deepEqual(pad(x, [[1, 2]]).toArray(), [[0, 1, 2, 0, 0], [0, 3, 4, 0, 0]]);
    assert.deepEqual(pad(x, [[1, 0], [0, 1]], 7).toArray(), [[7, 7, 7], [1, 2, 7], [3, 4, 7]]);
    assert.deepEqual(pad(x, [[0, 0], [0, 0]]).toArray(), [[1, 2], [3, 4]]);
    assert.deepEqual(pad(x.transpose(), [[1, 0]]).toArray(), [[0, 1, 3], [0, 2, 4]]);
  });
  test('gradients', () => {
    checkGrad((t) => pad(t!, [[1, 2]]), [leaf([2, 3], 1)], [2, 6]);
    checkGrad((t) => pad(t!, [[1, 0], [2, 1]], -3), [leaf([2, 3], 2)], [3, 6]);
    checkGrad((t) => pad(t!, [[1, 1], [1, 1]]), [leaf([1, 2, 2, 2], 3)], [1, 2, 4, 4]);
    checkGrad((t) => pad(t!, [[0, 0]]), [leaf([2, 3], 4)], [2, 3]);
    checkGrad((t) => pad(t!, [[1, 1], [0, 0]]), [leaf([0, 3], 5)], [2, 3]);
    checkGrad((t) => pad(t!.transpose(), [[2, 0]]), [leaf([3, 2], 6)], [2, 5]);
    checkGrad((t) => pad(t!.expand([2, 3]), [[0, 1], [1, 0]]), [leaf([1, 3], 7)], [3, 4]);
  });
  test('bad widths', () => {
    assertThrows(() => pad(zeros([2, 3]), [[-1, 0]]), ArgumentError, 'pad', 'non-negative', '[-1,0]');
    assertThrows(() => pad(zeros([2, 3]), [[0.5, 0]]), ArgumentError, 'pad', 'integers');
    assertThrows(() => pad(zeros([2, 3]), [[0, 0], [0, 0], [1, 1]]), ShapeError, 'pad', '[2,3]');
  });
});

describe('gather', () => {
  const x = fromArray([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]);
  test('values along axis 1 and 0, with an index smaller than the input', () => {
    assert.deepEqual(gather(x, 1, ints([3, 0, 1, 1, 2, 2], [3, 2])).toArray(), [[4, 1], [6, 6], [11, 11]]);
    assert.deepEqual(gather(x, 0, ints([2, 0, 1, 0], [1, 4])).toArray(), [[9, 2, 7, 4]]);
    assert.deepEqual(gather(x, -1, ints([1, 3], [2, 1])).toArray(), [[2], [8]]);
    assert.deepEqual(gather(x.transpose(), 1, ints([2, 0], [2, 1])).toArray(), [[9], [2]]);
    assert.equal(gather(x, 1, ints([0], [1, 1], 'uint8')).item(), 1);
  });
  test('gradients: axes, repeated indices, smaller index, 3-D', () => {
    checkGrad((t) => gather(t!, 1, ints([3, 0, 1, 1, 2, 2], [3, 2])), [leaf([3, 4], 1)], [3, 2]);
    checkGrad((t) => gather(t!, 0, ints([2, 0, 1, 0, 2, 2, 2, 2], [2, 4])), [leaf([3, 4], 2)], [2, 4]);
    checkGrad((t) => gather(t!, -1, ints([1, 1, 1], [3, 1])), [leaf([3, 4], 3)], [3, 1]);
    checkGrad((t) => gather(t!, 1, ints([0, 2, 1, 1], [2, 2, 1])), [leaf([2, 3, 2], 4)], [2, 2, 1]);
  });
  test('gradients: views and empty index', () => {
    checkGrad((t) => gather(t!.transpose(), 1, ints([2, 0, 1, 1], [4, 1])), [leaf([3, 4], 5)], [4, 1]);
    checkGrad((t) => gather(t!.expand([3, 4]), 1, ints([0, 3, 2], [3, 1])), [leaf([1, 4], 6)], [3, 1]);
    checkGrad((t) => gather(t!.slice([null, [0, 5, 2]]), 1, ints([2, 1], [2, 1])), [leaf([2, 5], 7)], [2, 1]);
    checkGrad((t) => gather(t!, 1, ints([], [3, 0])), [leaf([3, 4], 8)], [3, 0]);
  });
  test('repeated indices accumulate the gradient', () => {
    const t = leaf([2, 3], 9);
    gather(t, 1, ints([1, 1, 1, 0, 2, 2], [2, 3])).sum().backward();
    assert.deepEqual(values(t.grad!), [0, 3, 0, 1, 0, 2]);
  });
  test('float indices: DTypeError naming int32', () => {
    assertThrows(() => gather(x, 1, fromArray([[0]])), DTypeError, 'gather', 'int32', 'float32');
  });
  test('out-of-range indices: ArgumentError', () => {
    assertThrows(() => gather(x, 1, ints([4], [1, 1])), ArgumentError, 'gather', 'index 4', 'size 4');
    assertThrows(() => gather(x, 0, ints([-1], [1, 1])), ArgumentError, 'gather', 'index -1');
  });
  test('shape errors and bad axis', () => {
    assertThrows(() => gather(x, 1, ints([0, 1], [2])), ShapeError, 'gather', '[2]', '[3,4]');
    assertThrows(() => gather(x, 1, ints([0, 0, 0, 0], [4, 1])), ShapeError, 'gather', '[4,1]', '[3,4]');
    assertThrows(() => gather(x, 2, ints([0], [1, 1])), ArgumentError, 'gather', '-2..1');
  });
});

describe('indexSelect', () => {
  const x = fromArray([[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12]]);
  test('values with repeated indices', () => {
    assert.deepEqual(indexSelect(x, 0, ints([2, 0, 2])).toArray(), [[7, 8, 9], [1, 2, 3], [7, 8, 9]]);
    assert.deepEqual(indexSelect(x, 1, ints([2, 2, 0, 1])).toArray(), [[3, 3, 1, 2], [6, 6, 4, 5], [9, 9, 7, 8], [12, 12, 10, 11]]);
    assert.deepEqual(indexSelect(x, -1, ints([1])).shape, [4, 1]);
    assert.deepEqual(indexSelect(x, 0, ints([])).shape, [0, 3]);
    assert.deepEqual(indexSelect(x.transpose(), 0, ints([1])).toArray(), [[2, 5, 8, 11]]);
  });
  test('gradients', () => {
    checkGrad((t) => indexSelect(t!, 0, ints([2, 0, 2])), [leaf([4, 3], 1)], [3, 3]);
    checkGrad((t) => indexSelect(t!, 1, ints([1, 1, 0])), [leaf([2, 3], 2)], [2, 3]);
    checkGrad((t) => indexSelect(t!, -1, ints([3, 0])), [leaf([2, 2, 4], 3)], [2, 2, 2]);
    checkGrad((t) => indexSelect(t!, 1, ints([2, 0])), [leaf([0, 3], 4)], [0, 2]);
    checkGrad((t) => indexSelect(t!, 0, ints([])), [leaf([4, 3], 5)], [0, 3]);
    checkGrad((t) => indexSelect(t!.transpose(), 0, ints([0, 2, 0])), [leaf([2, 3], 6)], [3, 2]);
    checkGrad((t) => indexSelect(t!.expand([3, 2]), 0, ints([1, 1])), [leaf([1, 2], 7)], [2, 2]);
  });
  test('repeated indices accumulate the gradient', () => {
    const t = leaf([3, 2], 8);
    indexSelect(t, 0, ints([2, 0, 2, 2])).sum().backward();
    assert.deepEqual(values(t.grad!), [1, 1, 0, 0, 3, 3]);
  });
  test('errors', () => {
    assertThrows(() => indexSelect(x, 0, fromArray([0, 1])), DTypeError, 'indexSelect', 'int32', 'float32');
    assertThrows(() => indexSelect(x, 0, ints([4])), ArgumentError, 'indexSelect', 'index 4', 'size 4');
    assertThrows(() => indexSelect(x, 1, ints([-1])), ArgumentError, 'indexSelect', 'index -1');
    assertThrows(() => indexSelect(x, 0, ints([0, 1], [1, 2])), ShapeError, 'indexSelect', '1-D', '[1,2]');
    assertThrows(() => indexSelect(x, 2, ints([0])), ArgumentError, 'indexSelect', '-2..1');
  });
});

test('tensor methods: slice, gather, indexSelect', () => {
  const x = fromArray([[1, 2, 3], [4, 5, 6]]);
  assert.deepEqual(x.slice([null, [1, 3]]).toArray(), [[2, 3], [5, 6]]);
  assert.deepEqual(x.gather(1, ints([2, 0], [2, 1])).toArray(), [[3], [4]]);
  assert.deepEqual(x.indexSelect(0, ints([1, 1])).toArray(), [[4, 5, 6], [4, 5, 6]]);
});

describe('oneHot', () => {
  test('values, dtype and shape', () => {
    const out = oneHot(ints([0, 2, 1]), 3);
    assert.equal(out.dtype, 'float32');
    assert.deepEqual(out.toArray(), [[1, 0, 0], [0, 0, 1], [0, 1, 0]]);
    assert.deepEqual(oneHot(ints([1, 0, 3, 3], [2, 2]), 4).shape, [2, 2, 4]);
    assert.deepEqual(values(oneHot(ints([1, 0, 3, 3], [2, 2]), 4)), [0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1]);
    assert.deepEqual(oneHot(ints([]), 5).shape, [0, 5]);
    assert.deepEqual(oneHot(ints([1, 0, 2]).slice([[0, 3, 2]]), 3).toArray(), [[0, 1, 0], [0, 0, 1]]);
  });
  test('errors', () => {
    assertThrows(() => oneHot(ints([0, 3]), 3), ArgumentError, 'oneHot', 'index 3', '0..2');
    assertThrows(() => oneHot(ints([-1]), 3), ArgumentError, 'oneHot', 'index -1');
    assertThrows(() => oneHot(ints([0]), 0), ArgumentError, 'oneHot', 'numClasses');
    assertThrows(() => oneHot(fromArray([0, 1]), 2), DTypeError, 'oneHot', 'int32', 'float32');
  });
});
