import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AutogradError, DTypeError, ShapeError, Tensor, arange, fromArray, scalar, zeros } from '../../src/index.js';

/** A float32 2×3 tensor holding 0…5. */
const matrix = (): Tensor => arange(0, 6, 1, { dtype: 'float32' }).reshape([2, 3]);

describe('Tensor geometry', () => {
  test('shape, strides, offset, size, ndim of a new tensor', () => {
    const t = zeros([2, 3, 4]);
    assert.deepEqual(t.shape, [2, 3, 4]);
    assert.deepEqual(t.strides, [12, 4, 1]);
    assert.equal(t.offset, 0);
    assert.equal(t.size, 24);
    assert.equal(t.ndim, 3);
    assert.equal(t.isContiguous(), true);
  });

  test('a scalar has no dimensions and one element', () => {
    const s = scalar(5);
    assert.deepEqual(s.shape, []);
    assert.deepEqual(s.strides, []);
    assert.equal(s.size, 1);
    assert.equal(s.ndim, 0);
  });

  test('shape and strides are frozen copies of the constructor arguments', () => {
    const shape = [2, 2];
    const t = new Tensor(new Float32Array(4), shape);
    shape[0] = 9;
    assert.deepEqual(t.shape, [2, 2]);
    assert.ok(Object.isFrozen(t.shape) && Object.isFrozen(t.strides));
  });

  test('dtype follows the storage class', () => {
    assert.equal(new Tensor(new Float64Array(1), []).dtype, 'float64');
    assert.equal(new Tensor(new Int32Array(1), []).dtype, 'int32');
    assert.equal(new Tensor(new Int8Array(1), []).dtype, 'int8');
    assert.equal(new Tensor(new Uint8Array(1), []).dtype, 'uint8');
    assert.equal(new Tensor(new Float32Array(1), []).dtype, 'float32');
  });

  test('isContiguous for views', () => {
    const m = matrix();
    assert.equal(m.transpose().isContiguous(), false);
    assert.equal(m.slice([1]).isContiguous(), true, 'a row of a matrix');
    assert.equal(m.slice([null, [0, 2]]).isContiguous(), false, 'two columns');
    assert.equal(m.slice([null, 1]).isContiguous(), false, 'a column');
    assert.equal(fromArray([1, 2, 3]).reshape([3, 1]).expand([3, 4]).isContiguous(), false, 'a broadcast');
    assert.equal(fromArray([1, 2, 3]).reshape([1, 3]).expand([1, 3]).isContiguous(), true);
    // Size-1 dimensions do not count, whatever their stride.
    assert.equal(new Tensor(new Float32Array(3), [1, 3], [99, 1]).isContiguous(), true);
  });
});

describe('views share storage', () => {
  test('reshape of a contiguous tensor is a view', () => {
    const m = matrix();
    const r = m.reshape([3, 2]);
    assert.equal(r.data, m.data);
    assert.deepEqual(r.strides, [2, 1]);
    assert.deepEqual(r.toArray(), [[0, 1], [2, 3], [4, 5]]);
  });

  test('transpose is a view with swapped strides', () => {
    const m = matrix();
    const t = m.transpose();
    assert.equal(t.data, m.data);
    assert.deepEqual(t.shape, [3, 2]);
    assert.deepEqual(t.strides, [1, 3]);
    assert.deepEqual(t.toArray(), [[0, 3], [1, 4], [2, 5]]);
  });

  test('slice is a view with an offset', () => {
    const m = matrix();
    const row = m.slice([1]);
    assert.equal(row.data, m.data);
    assert.equal(row.offset, 3);
    assert.deepEqual(row.shape, [3]);
    assert.deepEqual(row.toArray(), [3, 4, 5]);
    const cols = m.slice([null, [1, 3]]);
    assert.equal(cols.data, m.data);
    assert.equal(cols.offset, 1);
    assert.deepEqual(cols.strides, [3, 1]);
    assert.deepEqual(cols.toArray(), [[1, 2], [4, 5]]);
  });

  test('reshape of a contiguous slice keeps its offset', () => {
    const m = matrix();
    const r = m.slice([1]).reshape([3, 1]);
    assert.equal(r.data, m.data);
    assert.equal(r.offset, 3);
    assert.deepEqual(r.toArray(), [[3], [4], [5]]);
  });

  test('expand is a view with stride 0', () => {
    const v = fromArray([1, 2, 3]);
    const e = v.reshape([3, 1]).expand([3, 4]);
    assert.equal(e.data, v.data);
    assert.deepEqual(e.strides, [1, 0]);
    assert.deepEqual(e.toArray(), [[1, 1, 1, 1], [2, 2, 2, 2], [3, 3, 3, 3]]);
  });

  test('reshape of a non-contiguous tensor copies', () => {
    const m = matrix();
    const r = m.transpose().reshape([6]);
    assert.notEqual(r.data, m.data);
    assert.equal(r.offset, 0);
    assert.deepEqual(r.toArray(), [0, 3, 1, 4, 2, 5]);
  });

  test('contiguous() of a view gives row-major data', () => {
    const m = matrix();
    const c = m.transpose().contiguous();
    assert.notEqual(c.data, m.data);
    assert.equal(c.isContiguous(), true);
    assert.deepEqual(c.strides, [2, 1]);
    assert.deepEqual(Array.from(c.data), [0, 3, 1, 4, 2, 5]);
    const sliced = m.slice([null, [1, 3]]).contiguous();
    assert.deepEqual(Array.from(sliced.toTypedArray()), [1, 2, 4, 5]);
    // Already contiguous: the same tensor.
    assert.equal(m.contiguous(), m);
  });
});

describe('detach', () => {
  test('shares storage and geometry, has no grad and no graph', () => {
    const x = matrix().setRequiresGrad();
    const y = x.mul(2).transpose();
    const d = y.detach();
    assert.equal(d.data, y.data);
    assert.deepEqual(d.strides, y.strides);
    assert.equal(d.offset, y.offset);
    assert.equal(d.requiresGrad, false);
    assert.equal(d.gradFn, null);
    assert.equal(d.grad, null);
    assert.equal(d.isLeaf, true);
    const leaf = x.detach();
    assert.equal(leaf.data, x.data);
    assert.equal(leaf.requiresGrad, false);
  });
});

describe('reading values', () => {
  test('toArray gives nested arrays, or a number for a scalar', () => {
    assert.deepEqual(matrix().toArray(), [[0, 1, 2], [3, 4, 5]]);
    assert.equal(scalar(2.5).toArray(), 2.5);
    assert.deepEqual(zeros([2, 0]).toArray(), [[], []]);
    assert.deepEqual(arange(8).reshape([2, 2, 2]).toArray(), [[[0, 1], [2, 3]], [[4, 5], [6, 7]]]);
  });

  test('toArray of a view reads through strides and offset', () => {
    assert.deepEqual(matrix().slice([null, [0, 3, 2]]).toArray(), [[0, 2], [3, 5]]);
  });

  test('item returns the single value, also of a view', () => {
    assert.equal(scalar(7).item(), 7);
    assert.equal(fromArray([[4]]).item(), 4);
    assert.equal(matrix().slice([1, [2, 3]]).item(), 5);
    assert.equal(matrix().slice([1, 2]).item(), 5);
  });

  test('item of a tensor with more or fewer than one element is a ShapeError', () => {
    assert.throws(() => matrix().item(), (e: unknown) => e instanceof ShapeError && /\[2,3\]/.test(e.message));
    assert.throws(() => zeros([0]).item(), ShapeError);
  });

  test('toTypedArray returns a copy', () => {
    const m = matrix();
    const copy = m.toTypedArray();
    assert.notEqual(copy, m.data);
    assert.ok(copy instanceof Float32Array);
    copy[0] = 100;
    assert.equal(m.data[0], 0);
    const row = m.slice([1]);
    const rowCopy = row.toTypedArray();
    assert.deepEqual(Array.from(rowCopy), [3, 4, 5]);
    rowCopy[0] = 100;
    assert.equal(m.data[3], 3);
    const t = m.transpose().toTypedArray();
    assert.deepEqual(Array.from(t), [0, 3, 1, 4, 2, 5]);
  });

  test('contiguousData reads views in row-major order', () => {
    const m = matrix();
    assert.deepEqual(Array.from(m.transpose().contiguousData()), [0, 3, 1, 4, 2, 5]);
    assert.deepEqual(Array.from(m.slice([1]).contiguousData()), [3, 4, 5]);
  });
});

describe('requiresGrad', () => {
  test('float tensors can require gradients; setRequiresGrad chains', () => {
    const t = zeros([2]);
    assert.equal(t.requiresGrad, false);
    assert.equal(t.setRequiresGrad(), t);
    assert.equal(t.requiresGrad, true);
    t.requiresGrad = false;
    assert.equal(t.requiresGrad, false);
  });

  test('integer tensors cannot require gradients', () => {
    const i = arange(3);
    assert.throws(() => (i.requiresGrad = true), (e: unknown) => e instanceof DTypeError && /int32/.test(e.message));
    assert.throws(() => fromArray([1], { dtype: 'uint8' }).setRequiresGrad(), DTypeError);
    // Turning it off is harmless.
    i.requiresGrad = false;
    assert.equal(i.requiresGrad, false);
  });

  test('turning requiresGrad off on a non-leaf is an AutogradError', () => {
    const x = zeros([2]).setRequiresGrad();
    const y = x.add(1);
    assert.equal(y.isLeaf, false);
    assert.throws(() => (y.requiresGrad = false), (e: unknown) => e instanceof AutogradError && /detach/.test(e.message));
    assert.equal(y.requiresGrad, true);
  });

  test('retainGrad marks the tensor and chains', () => {
    const y = zeros([2]).setRequiresGrad().add(1);
    assert.equal(y.retainsGrad, false);
    assert.equal(y.retainGrad(), y);
    assert.equal(y.retainsGrad, true);
  });
});

describe('view()', () => {
  test('describes storage, offset and strides', () => {
    const row = matrix().slice([1]);
    const v = row.view();
    assert.equal(v.data, row.data);
    assert.equal(v.offset, 3);
    assert.deepEqual(v.strides, [1]);
  });
});
