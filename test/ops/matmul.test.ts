import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DTypeError, ShapeError, fromArray, matmul, zeros } from '../../src/index.js';
import { leaf } from '../helpers/gradcheck.js';
import { assertClose, assertThrows, checkGrad, ints, values } from './util.js';

describe('matmul: gradients', () => {
  test('2-D @ 2-D', () => checkGrad(matmul, [leaf([3, 4], 1), leaf([4, 2], 2)], [3, 2]));
  test('1-D @ 2-D', () => checkGrad(matmul, [leaf([4], 3), leaf([4, 3], 4)], [3]));
  test('2-D @ 1-D', () => checkGrad(matmul, [leaf([3, 4], 5), leaf([4], 6)], [3]));
  test('1-D @ 1-D (dot product)', () => checkGrad(matmul, [leaf([5], 7), leaf([5], 8)], []));
  test('batched @ batched', () => checkGrad(matmul, [leaf([2, 3, 4], 9), leaf([2, 4, 2], 10)], [2, 3, 2]));
  test('broadcast batch dimensions', () => {
    checkGrad(matmul, [leaf([2, 1, 2, 3], 11), leaf([3, 3, 2], 12)], [2, 3, 2, 2]);
    checkGrad(matmul, [leaf([1, 2, 3], 13), leaf([2, 1, 3, 2], 14)], [2, 1, 2, 2]);
  });
  test('batched @ 2-D and 2-D @ batched', () => {
    checkGrad(matmul, [leaf([2, 3, 4], 15), leaf([4, 2], 16)], [2, 3, 2]);
    checkGrad(matmul, [leaf([3, 4], 17), leaf([2, 4, 2], 18)], [2, 3, 2]);
  });
  test('batched with 1-D operands', () => {
    checkGrad(matmul, [leaf([4], 19), leaf([2, 4, 3], 20)], [2, 3]);
    checkGrad(matmul, [leaf([2, 3, 4], 21), leaf([4], 22)], [2, 3]);
  });
  test('size-1 dimensions', () => {
    checkGrad(matmul, [leaf([1, 3], 23), leaf([3, 1], 24)], [1, 1]);
    checkGrad(matmul, [leaf([3, 1], 25), leaf([1, 4], 26)], [3, 4]);
    checkGrad((a, b) => matmul(a!, b!.expand([3, 2])), [leaf([1, 1, 3], 27), leaf([1], 28)], [1, 1, 2]);
  });
  test('size-0 dimensions', () => {
    checkGrad(matmul, [leaf([0, 3], 29), leaf([3, 2], 30)], [0, 2]);
    checkGrad(matmul, [leaf([2, 3], 31), leaf([3, 0], 32)], [2, 0]);
    checkGrad(matmul, [leaf([0, 2, 3], 33), leaf([3, 2], 34)], [0, 2, 2]);
    const a = leaf([2, 0], 35);
    const b = leaf([0, 3], 36);
    checkGrad(matmul, [a, b], [2, 3]);
    assert.deepEqual(values(matmul(a, b)), [0, 0, 0, 0, 0, 0], 'an empty inner dimension gives zeros');
  });
  test('transposed views', () => {
    checkGrad((a, b) => matmul(a!.transpose(), b!), [leaf([4, 3], 37), leaf([4, 2], 38)], [3, 2]);
    checkGrad((a, b) => matmul(a!, b!.transpose()), [leaf([3, 4], 39), leaf([2, 4], 40)], [3, 2]);
    checkGrad((a, b) => matmul(a!.transpose(), b!.transpose()), [leaf([4, 3], 41), leaf([2, 4], 42)], [3, 2]);
    checkGrad((a, b) => matmul(a!.transpose(), b!), [leaf([2, 4, 3], 43), leaf([2, 4, 2], 44)], [2, 3, 2]);
    checkGrad((a, b) => matmul(a!.transpose(0, 1), b!), [leaf([3, 2, 4], 45), leaf([4, 2], 46)], [2, 3, 2]);
  });
  test('strided slices and expanded views', () => {
    checkGrad((a, b) => matmul(a!.slice([null, [0, 7, 2]]), b!), [leaf([3, 7], 47), leaf([4, 2], 48)], [3, 2]);
    checkGrad((a, b) => matmul(a!, b!.slice([[1, 6, 2]])), [leaf([3, 3], 49), leaf([6, 2], 50)], [3, 2]);
    checkGrad((a, b) => matmul(a!.expand([2, 3, 4]), b!), [leaf([3, 4], 51), leaf([2, 4, 2], 52)], [2, 3, 2]);
    checkGrad((a, b) => matmul(a!.expand([3, 4]), b!.expand([4, 2])), [leaf([1, 4], 53), leaf([4, 1], 54)], [3, 2]);
    checkGrad((a, b) => matmul(a!.slice([0]), b!), [leaf([2, 4], 55), leaf([4, 3], 56)], [3]);
  });
  test('the same tensor on both sides', () => {
    checkGrad((a) => matmul(a!, a!.transpose()), [leaf([3, 4], 57)], [3, 3]);
  });
});

describe('matmul: forward values', () => {
  const a = fromArray([[1, 2, 3], [4, 5, 6]], { dtype: 'float64' });
  const b = fromArray([[7, 8], [9, 10], [11, 12]], { dtype: 'float64' });
  test('2-D', () => assert.deepEqual(matmul(a, b).toArray(), [[58, 64], [139, 154]]));
  test('vectors', () => {
    const v = fromArray([1, 0, -1], { dtype: 'float64' });
    assert.deepEqual(matmul(a, v).toArray(), [-2, -2]);
    assert.deepEqual(matmul(fromArray([1, -1], { dtype: 'float64' }), a).toArray(), [-3, -3, -3]);
    const dot = matmul(v, fromArray([4, 5, 6], { dtype: 'float64' }));
    assert.deepEqual(dot.shape, []);
    assert.equal(dot.item(), -2);
  });
  test('batched with broadcasting', () => {
    const batch = fromArray([[[1, 0], [0, 1]], [[2, 0], [0, 2]]], { dtype: 'float64' }); // [2,2,2]
    const m = fromArray([[1, 2], [3, 4]], { dtype: 'float64' });
    assert.deepEqual(matmul(batch, m).toArray(), [[[1, 2], [3, 4]], [[2, 4], [6, 8]]]);
    assert.deepEqual(matmul(m, batch).toArray(), [[[1, 2], [3, 4]], [[2, 4], [6, 8]]]);
  });
  test('transposed views read the right elements', () => {
    assert.deepEqual(matmul(b.transpose(), a.transpose()).toArray(), [[58, 139], [64, 154]]);
  });
  test('dtype: float32 stays float32, mixed widths give float64', () => {
    assert.equal(matmul(fromArray([[1, 2]]), fromArray([[3], [4]])).dtype, 'float32');
    const mixed = matmul(fromArray([[1, 2]]), fromArray([[3], [4]], { dtype: 'float64' }));
    assert.equal(mixed.dtype, 'float64');
    assert.deepEqual(mixed.toArray(), [[11]]);
  });
  test('mixed-precision gradients come back in each input’s dtype', () => {
    const x = fromArray([[1, 2]], { dtype: 'float32', requiresGrad: true });
    const w = fromArray([[3], [4]], { dtype: 'float64', requiresGrad: true });
    matmul(x, w).sum().backward();
    assert.equal(x.grad!.dtype, 'float32');
    assertClose(x.grad!, [3, 4]);
    assertClose(w.grad!, [1, 2]);
  });
  test('tensor method', () => assert.deepEqual(a.matmul(b).toArray(), [[58, 64], [139, 154]]));
});

describe('matmul: errors', () => {
  test('inner dimension mismatch names both shapes', () => {
    assertThrows(() => matmul(zeros([2, 3]), zeros([4, 5])), ShapeError, 'matmul', '[2,3]', '[4,5]');
    assertThrows(() => matmul(zeros([3]), zeros([4, 5])), ShapeError, 'matmul', '[1,3]', '[4,5]');
    assertThrows(() => matmul(zeros([2, 2, 3]), zeros([4])), ShapeError, 'matmul', '[2,2,3]', '[4,1]');
  });
  test('batch dimensions that do not broadcast', () => {
    assertThrows(() => matmul(zeros([2, 3, 4]), zeros([3, 4, 5])), ShapeError, 'matmul', '[2]', '[3]');
  });
  test('0-d operands', () => {
    assertThrows(() => matmul(zeros([]), zeros([3])), ShapeError, 'matmul', 'at least 1 dimension');
  });
  test('integer operands: DTypeError naming float32', () => {
    assertThrows(() => matmul(ints([1, 2, 3, 4], [2, 2]), zeros([2, 2])), DTypeError, 'matmul', 'float32', 'int32');
    assertThrows(() => matmul(zeros([2, 2]), ints([1, 2, 3, 4], [2, 2], 'uint8')), DTypeError, 'matmul', 'float32', 'uint8');
  });
});
