import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ArgumentError, ShapeError, arange, concat, fromArray, mul, split, stack, zeros, type Tensor } from '../../src/index.js';
import { leaf } from '../helpers/gradcheck.js';
import { assertThrows, checkGrad, values } from './util.js';

/** Recombines split pieces into one differentiable output, weighting each piece differently. */
function weighted(pieces: Tensor[], axis: number): Tensor {
  return concat(pieces.map((p, i) => mul(p, i + 1)), axis);
}

describe('concat', () => {
  test('gradients along axis 0, 1 and −1 with different extents', () => {
    checkGrad((a, b) => concat([a!, b!], 0), [leaf([2, 3], 1), leaf([1, 3], 2)], [3, 3]);
    checkGrad((a, b, c) => concat([a!, b!, c!], 1), [leaf([2, 1], 3), leaf([2, 3], 4), leaf([2, 2], 5)], [2, 6]);
    checkGrad((a, b) => concat([a!, b!], -1), [leaf([2, 2, 1], 6), leaf([2, 2, 3], 7)], [2, 2, 4]);
  });
  test('gradients: one input, the same input twice, 1-D and size-0 pieces', () => {
    checkGrad((a) => concat([a!]), [leaf([2, 3], 8)], [2, 3]);
    checkGrad((a) => concat([a!, a!], 1), [leaf([2, 3], 9)], [2, 6]);
    checkGrad((a, b) => concat([a!, b!]), [leaf([3], 10), leaf([2], 11)], [5]);
    checkGrad((a, b) => concat([a!, b!], 0), [leaf([0, 3], 12), leaf([2, 3], 13)], [2, 3]);
    checkGrad((a, b) => concat([a!, b!], 1), [leaf([0, 3], 14), leaf([0, 2], 15)], [0, 5]);
  });
  test('gradients: non-contiguous views', () => {
    checkGrad((a, b) => concat([a!.transpose(), b!], 0), [leaf([3, 2], 16), leaf([1, 3], 17)], [3, 3]);
    checkGrad((a, b) => concat([a!.slice([null, [0, 5, 2]]), b!.expand([2, 2])], 1), [leaf([2, 5], 18), leaf([1, 2], 19)], [2, 5]);
  });
  test('values, and mixed dtypes promote', () => {
    const a = fromArray([[1, 2], [3, 4]]);
    const b = fromArray([[5], [6]], { dtype: 'int32' });
    const out = concat([a, b], 1);
    assert.equal(out.dtype, 'float32');
    assert.deepEqual(out.toArray(), [[1, 2, 5], [3, 4, 6]]);
    assert.deepEqual(concat([a, a.transpose()]).toArray(), [[1, 2], [3, 4], [1, 3], [2, 4]]);
    assert.equal(concat([fromArray([1], { dtype: 'int32' }), fromArray([2], { dtype: 'int32' })]).dtype, 'int32');
  });
  test('only the inputs that require gradients get them, in their own dtype', () => {
    const a = fromArray([1, 2], { dtype: 'float32', requiresGrad: true });
    const b = fromArray([3], { dtype: 'float64' });
    const out = concat([a, b]);
    out.backward(fromArray([10, 20, 30], { dtype: 'float64' }));
    assert.equal(a.grad!.dtype, 'float32');
    assert.deepEqual(values(a.grad!), [10, 20]);
    assert.equal(b.grad, null);
  });
  test('mismatch outside the axis names both shapes', () => {
    assertThrows(() => concat([zeros([2, 3]), zeros([2, 4])], 0), ShapeError, 'concat', '[2,3]', '[2,4]');
    assertThrows(() => concat([zeros([2, 3]), zeros([2, 3, 1])], 0), ShapeError, 'concat', '[2,3]', '[2,3,1]');
  });
  test('no tensors, bad axis', () => {
    assertThrows(() => concat([]), ArgumentError, 'concat', 'at least one');
    assertThrows(() => concat([zeros([2, 3])], 2), ArgumentError, 'concat', '-2..1');
  });
});

describe('stack', () => {
  test('gradients along axis 0, 1 and −1', () => {
    checkGrad((a, b) => stack([a!, b!]), [leaf([2, 3], 1), leaf([2, 3], 2)], [2, 2, 3]);
    checkGrad((a, b, c) => stack([a!, b!, c!], 1), [leaf([2, 3], 3), leaf([2, 3], 4), leaf([2, 3], 5)], [2, 3, 3]);
    checkGrad((a, b) => stack([a!, b!], -1), [leaf([2, 3], 6), leaf([2, 3], 7)], [2, 3, 2]);
  });
  test('gradients: 0-d, size-0 and views', () => {
    checkGrad((a, b) => stack([a!, b!]), [leaf([], 8), leaf([], 9)], [2]);
    checkGrad((a, b) => stack([a!, b!], 1), [leaf([0, 2], 10), leaf([0, 2], 11)], [0, 2, 2]);
    checkGrad((a, b) => stack([a!.transpose(), b!.expand([3, 2])]), [leaf([2, 3], 12), leaf([1, 2], 13)], [2, 3, 2]);
  });
  test('values', () => {
    assert.deepEqual(stack([fromArray([1, 2]), fromArray([3, 4])], 1).toArray(), [[1, 3], [2, 4]]);
  });
  test('errors', () => {
    assertThrows(() => stack([zeros([2, 3]), zeros([3, 2])]), ShapeError, 'stack', '[2,3]', '[3,2]');
    assertThrows(() => stack([]), ArgumentError, 'stack');
    assertThrows(() => stack([zeros([2, 3])], 3), ArgumentError, 'stack', '-3..2');
  });
});

describe('split', () => {
  test('into equal pieces', () => {
    const pieces = split(arange(6), 3);
    assert.deepEqual(pieces.map((p) => p.toArray()), [[0, 1], [2, 3], [4, 5]]);
  });
  test('into uneven pieces: a number of sections leaves the last piece smaller', () => {
    const pieces = split(arange(7), 3);
    assert.deepEqual(pieces.map((p) => p.toArray()), [[0, 1, 2], [3, 4, 5], [6]]);
  });
  test('into uneven pieces given by sizes, including an empty one', () => {
    const x = arange(10).reshape([2, 5]);
    const pieces = split(x, [1, 0, 3, 1], 1);
    assert.deepEqual(pieces.map((p) => p.shape), [[2, 1], [2, 0], [2, 3], [2, 1]]);
    assert.deepEqual(pieces[2]!.toArray(), [[1, 2, 3], [6, 7, 8]]);
    assert.deepEqual(pieces[3]!.toArray(), [[4], [9]]);
  });
  test('pieces are views of the input', () => {
    const x = arange(6);
    assert.ok(split(x, 2).every((p) => p.data === x.data));
  });
  test('gradients through the pieces', () => {
    checkGrad((x) => weighted(split(x!, 2), 0), [leaf([4, 3], 1)], [4, 3]);
    checkGrad((x) => weighted(split(x!, 3, 1), 1), [leaf([2, 7], 2)], [2, 7]);
    checkGrad((x) => weighted(split(x!, [1, 3, 1], -1), -1), [leaf([2, 5], 3)], [2, 5]);
    checkGrad((x) => split(x!, [1, 2])[1]!, [leaf([3, 2], 4)], [2, 2]);
    checkGrad((x) => weighted(split(x!.transpose(), [2, 1]), 0), [leaf([2, 3], 5)], [3, 2]);
    checkGrad((x) => weighted(split(x!, 2, 1), 1), [leaf([0, 4], 6)], [0, 4]);
  });
  test('errors', () => {
    assertThrows(() => split(arange(5), [2, 2]), ShapeError, 'split', '[2,2]', '5');
    assertThrows(() => split(arange(5), [2, -1, 4]), ShapeError, 'split');
    assertThrows(() => split(arange(5), 0), ArgumentError, 'split', 'sections');
    assertThrows(() => split(arange(5), 1.5), ArgumentError, 'split');
    assertThrows(() => split(arange(5), 2, 1), ArgumentError, 'split', '-1..0');
  });
});
