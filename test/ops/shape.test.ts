import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ArgumentError,
  ShapeError,
  arange,
  contiguous,
  expand,
  flatten,
  fromArray,
  mul,
  permute,
  reshape,
  squeeze,
  sum,
  toType,
  transpose,
  unsqueeze,
  zeros,
} from '../../src/index.js';
import { leaf } from '../helpers/gradcheck.js';
import { assertClose, assertThrows, checkGrad, values } from './util.js';

describe('reshape', () => {
  test('gradients: plain, inferred −1, to and from 0-d', () => {
    checkGrad((x) => reshape(x!, [3, 2]), [leaf([2, 3], 1)], [3, 2]);
    checkGrad((x) => reshape(x!, [-1, 4]), [leaf([2, 2, 2], 2)], [2, 4]);
    checkGrad((x) => reshape(x!, []), [leaf([1, 1], 3)], []);
    checkGrad((x) => reshape(x!, [1, 1, 1]), [leaf([], 4)], [1, 1, 1]);
  });
  test('gradients: size-0 and non-contiguous inputs (copy path)', () => {
    checkGrad((x) => reshape(x!, [3, 0]), [leaf([0, 3], 5)], [3, 0]);
    checkGrad((x) => reshape(x!, [-1, 3]), [leaf([2, 0, 3], 6)], [0, 3]);
    checkGrad((x) => reshape(x!.transpose(), [12]), [leaf([3, 4], 7)], [12]);
    checkGrad((x) => reshape(x!.slice([null, [0, 5, 2]]), [3, 2]), [leaf([2, 5], 8)], [3, 2]);
    checkGrad((x) => reshape(x!.expand([2, 3]), [6]), [leaf([1, 3], 9)], [6]);
  });
  test('values are read in row-major order, also from a transposed view', () => {
    const x = arange(6).reshape([2, 3]);
    assert.deepEqual(reshape(x, [3, 2]).toArray(), [[0, 1], [2, 3], [4, 5]]);
    assert.deepEqual(reshape(x.transpose(), [6]).toArray(), [0, 3, 1, 4, 2, 5]);
  });
  test('a contiguous input gives a view sharing storage', () => {
    const x = arange(6);
    assert.equal(reshape(x, [2, 3]).data, x.data);
  });
  test('size mismatch names both shapes', () => {
    assertThrows(() => reshape(zeros([2, 3]), [4]), ShapeError, 'reshape', '[2,3]', '[4]');
    assertThrows(() => reshape(zeros([2, 3]), [-1, 4]), ShapeError, 'reshape', '[2,3]', '[-1,4]');
  });
  test('bad extents', () => {
    assertThrows(() => reshape(zeros([2, 3]), [-1, -1]), ShapeError, 'reshape', 'only one');
    assertThrows(() => reshape(zeros([2, 3]), [2, 1.5, 2]), ShapeError, 'reshape', '1.5');
    assertThrows(() => reshape(zeros([0, 3]), [-1, 0]), ShapeError, 'reshape');
  });
});

describe('flatten', () => {
  test('gradients: default, from dim 1, a middle range, 0-d, size-0, view', () => {
    checkGrad((x) => flatten(x!), [leaf([2, 3, 2], 1)], [12]);
    checkGrad((x) => flatten(x!, 1), [leaf([2, 3, 2], 2)], [2, 6]);
    checkGrad((x) => flatten(x!, 1, 2), [leaf([2, 3, 2, 2], 3)], [2, 6, 2]);
    checkGrad((x) => flatten(x!, -2, -1), [leaf([2, 3, 2], 4)], [2, 6]);
    checkGrad((x) => flatten(x!), [leaf([], 5)], [1]);
    checkGrad((x) => flatten(x!, 1), [leaf([0, 2, 3], 6)], [0, 6]);
    checkGrad((x) => flatten(x!.permute([2, 0, 1])), [leaf([2, 3, 2], 7)], [12]);
  });
  test('errors', () => {
    assertThrows(() => flatten(zeros([2, 3]), 1, 0), ArgumentError, 'flatten', 'startDim');
    assertThrows(() => flatten(zeros([2, 3]), 2), ArgumentError, 'flatten', '-2..1');
  });
});

describe('squeeze and unsqueeze', () => {
  test('gradients', () => {
    checkGrad((x) => squeeze(x!), [leaf([1, 3, 1, 2], 1)], [3, 2]);
    checkGrad((x) => squeeze(x!, 2), [leaf([1, 3, 1, 2], 2)], [1, 3, 2]);
    checkGrad((x) => squeeze(x!, -4), [leaf([1, 3, 1, 2], 3)], [3, 1, 2]);
    checkGrad((x) => squeeze(x!), [leaf([1, 1], 4)], []);
    checkGrad((x) => unsqueeze(x!, 0), [leaf([3, 2], 5)], [1, 3, 2]);
    checkGrad((x) => unsqueeze(x!, -1), [leaf([3, 2], 6)], [3, 2, 1]);
    checkGrad((x) => unsqueeze(x!, 1), [leaf([0, 2], 7)], [0, 1, 2]);
    checkGrad((x) => unsqueeze(x!, 0), [leaf([], 8)], [1]);
    checkGrad((x) => squeeze(unsqueeze(x!.transpose(), 1), 1), [leaf([2, 3], 9)], [3, 2]);
  });
  test('errors', () => {
    assertThrows(() => squeeze(zeros([2, 3]), 0), ShapeError, 'squeeze', '[2,3]', 'size 2');
    assertThrows(() => squeeze(zeros([1, 3]), 2), ArgumentError, 'squeeze', '-2..1');
    assertThrows(() => unsqueeze(zeros([2, 3]), 3), ArgumentError, 'unsqueeze', '-3..2');
    assertThrows(() => unsqueeze(zeros([2, 3]), -4), ArgumentError, 'unsqueeze');
  });
});

describe('permute and transpose', () => {
  test('gradients', () => {
    checkGrad((x) => permute(x!, [2, 0, 1]), [leaf([2, 3, 4], 1)], [4, 2, 3]);
    checkGrad((x) => permute(x!, [-1, 0, -2]), [leaf([2, 3, 2], 2)], [2, 2, 3]);
    checkGrad((x) => transpose(x!), [leaf([3, 4], 3)], [4, 3]);
    checkGrad((x) => transpose(x!, 0, 2), [leaf([2, 3, 4], 4)], [4, 3, 2]);
    checkGrad((x) => transpose(x!), [leaf([4], 5)], [4]);
    checkGrad((x) => permute(x!, [1, 0, 2]), [leaf([0, 2, 3], 6)], [2, 0, 3]);
    checkGrad((x) => permute(x!.slice([null, [0, 5, 2]]), [1, 0]), [leaf([2, 5], 7)], [3, 2]);
    checkGrad((x) => mul(transpose(x!), transpose(x!, 1, 0)), [leaf([2, 3], 8)], [3, 2]);
  });
  test('values and views', () => {
    const x = arange(6).reshape([2, 3]);
    const t = transpose(x);
    assert.deepEqual(t.toArray(), [[0, 3], [1, 4], [2, 5]]);
    assert.equal(t.data, x.data, 'transpose is a view');
    assert.deepEqual(permute(arange(24).reshape([2, 3, 4]), [2, 0, 1]).shape, [4, 2, 3]);
    assert.deepEqual(permute(arange(8).reshape([2, 2, 2]), [2, 1, 0]).toArray(), [[[0, 4], [2, 6]], [[1, 5], [3, 7]]]);
  });
  test('errors', () => {
    assertThrows(() => permute(zeros([2, 3]), [0]), ShapeError, 'permute', '[2,3]');
    assertThrows(() => permute(zeros([2, 3]), [0, 0]), ArgumentError, 'permute', 'repeat');
    assertThrows(() => permute(zeros([2, 3]), [0, 2]), ArgumentError, 'permute', '-2..1');
    assertThrows(() => transpose(zeros([2, 3]), 0, 2), ArgumentError, 'transpose', '-2..1');
  });
});

describe('expand', () => {
  test('gradients: size-1 growth, new leading dimensions, 0-d, size 0', () => {
    checkGrad((x) => expand(x!, [3, 4]), [leaf([3, 1], 1)], [3, 4]);
    checkGrad((x) => expand(x!, [2, 3, 4]), [leaf([1, 4], 2)], [2, 3, 4]);
    checkGrad((x) => expand(x!, [2, 3]), [leaf([], 3)], [2, 3]);
    checkGrad((x) => expand(x!, [2, 3]), [leaf([2, 3], 4)], [2, 3]);
    checkGrad((x) => expand(x!, [0, 4]), [leaf([1, 4], 5)], [0, 4]);
    checkGrad((x) => expand(x!, [2, 0, 3]), [leaf([0, 3], 6)], [2, 0, 3]);
    checkGrad((x) => expand(x!.transpose(), [2, 3, 2]), [leaf([2, 3], 7)], [2, 3, 2]);
    checkGrad((x) => expand(expand(x!, [3, 1, 2]), [3, 4, 2]), [leaf([1, 2], 8)], [3, 4, 2]);
  });
  test('no copy: a zero stride over the same storage', () => {
    const x = arange(3).reshape([3, 1]);
    const e = expand(x, [3, 4]);
    assert.equal(e.data, x.data);
    assert.deepEqual(e.strides, [1, 0]);
    assert.deepEqual(e.toArray(), [[0, 0, 0, 0], [1, 1, 1, 1], [2, 2, 2, 2]]);
  });
  test('only size-1 dimensions can grow', () => {
    assertThrows(() => expand(zeros([2, 3]), [4, 3]), ShapeError, 'expand', '[2,3]', '[4,3]');
    assertThrows(() => expand(zeros([2, 3]), [3]), ShapeError, 'expand', '[2,3]', '[3]');
  });
});

describe('contiguous and toType', () => {
  test('contiguous: gradients of copies of views; a contiguous input is returned as is', () => {
    checkGrad((x) => contiguous(x!.transpose()), [leaf([3, 4], 1)], [4, 3]);
    checkGrad((x) => contiguous(x!.slice([null, [0, 5, 2]])), [leaf([2, 5], 2)], [2, 3]);
    checkGrad((x) => contiguous(x!.expand([2, 3])), [leaf([1, 3], 3)], [2, 3]);
    checkGrad((x) => contiguous(x!.transpose()), [leaf([0, 3], 4)], [3, 0]);
    const x = arange(6).reshape([2, 3]);
    assert.equal(contiguous(x), x);
    const c = contiguous(x.transpose());
    assert.ok(c.isContiguous());
    assert.deepEqual(c.toArray(), [[0, 3], [1, 4], [2, 5]]);
  });
  test('toType float32 ↔ float64 (forward)', () => {
    const d = fromArray([0.1, -2.5, 1e10], { dtype: 'float64' });
    const f = toType(d, 'float32');
    assert.equal(f.dtype, 'float32');
    assertClose(f, [Math.fround(0.1), -2.5, 1e10], 0);
    const back = toType(f, 'float64');
    assert.equal(back.dtype, 'float64');
    assert.deepEqual(values(back), [Math.fround(0.1), -2.5, 1e10]);
    assert.equal(toType(d, 'float64'), d, 'the same dtype returns the tensor itself');
    assert.deepEqual(toType(d.slice([[0, 3, 2]]), 'float32').toArray(), [Math.fround(0.1), 1e10]);
  });
  test('toType to and from integers', () => {
    assert.deepEqual(toType(fromArray([1.7, -2.2]), 'int32').toArray(), [1, -2]);
    assert.equal(toType(fromArray([1, 2], { dtype: 'int32' }), 'float32').dtype, 'float32');
  });
  test('gradients flow across float widths in the input’s dtype', () => {
    const x = fromArray([1, 2], { dtype: 'float64', requiresGrad: true });
    sum(mul(toType(x, 'float32'), 3)).backward();
    assert.equal(x.grad!.dtype, 'float64');
    assert.deepEqual(values(x.grad!), [3, 3]);
  });
  test('tensor methods', () => {
    const x = arange(6).reshape([1, 2, 3]);
    assert.deepEqual(x.squeeze().unsqueeze(0).flatten(1).shape, [1, 6]);
    assert.deepEqual(x.permute([2, 1, 0]).transpose(0, 1).contiguous().shape, [2, 3, 1]);
    assert.deepEqual(x.expand([2, 2, 3]).toType('float64').dtype, 'float64');
  });
});
