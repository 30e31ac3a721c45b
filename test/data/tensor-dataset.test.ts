import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ArgumentError, ShapeError, arange, fromArray, transpose } from '../../src/index.js';
import { Subset } from '../../src/data/dataset.js';
import { TensorDataset } from '../../src/data/tensor-dataset.js';

/** Sample i has inputs [i·10, i·10+1, i·10+2] (shape [n, 3]) and target i·100. */
function numbered(n: number): TensorDataset {
  const inputs = fromArray(Array.from({ length: n * 3 }, (_, k) => Math.floor(k / 3) * 10 + (k % 3)), { shape: [n, 3] });
  const targets = fromArray(Int32Array.from({ length: n }, (_, i) => i * 100));
  return new TensorDataset(inputs, targets);
}

const idx = (...values: number[]): Int32Array => Int32Array.from(values);

describe('TensorDataset', () => {
  test('take gathers the rows at the indices, in order, repeats allowed', () => {
    const ds = numbered(5);
    assert.equal(ds.length, 5);
    const batch = ds.take(idx(3, 0, 3));
    assert.equal(batch.inputs.dtype, 'float32');
    assert.deepEqual(batch.inputs.toArray(), [[30, 31, 32], [0, 1, 2], [30, 31, 32]]);
    assert.equal(batch.targets.dtype, 'int32');
    assert.deepEqual(batch.targets.toArray(), [300, 0, 300]);
  });

  test('batches keep the trailing shape of multi-dimensional inputs and targets', () => {
    const inputs = arange(0, 2 * 1 * 2 * 2, 1, { dtype: 'float32' }).reshape([2, 1, 2, 2]);
    const targets = arange(0, 4, 1, { dtype: 'float64' }).reshape([2, 2]);
    const batch = new TensorDataset(inputs, targets).take(idx(1));
    assert.deepEqual(batch.inputs.shape, [1, 1, 2, 2]);
    assert.deepEqual(batch.inputs.toArray(), [[[[4, 5], [6, 7]]]]);
    assert.deepEqual(batch.targets.toArray(), [[2, 3]]);
  });

  test('batches are fresh tensors: writing into one leaves the dataset unchanged', () => {
    const ds = numbered(3);
    const batch = ds.take(idx(1));
    batch.inputs.data.fill(-1);
    batch.targets.data.fill(-1);
    assert.deepEqual(ds.take(idx(1)).inputs.toArray(), [[10, 11, 12]]);
    assert.deepEqual(ds.take(idx(1)).targets.toArray(), [100]);
  });

  test('non-contiguous inputs (a transposed view) are gathered by logical rows', () => {
    const stored = fromArray([[1, 2, 3], [4, 5, 6]]); // [2, 3]; its transpose has 3 samples of 2
    const ds = new TensorDataset(transpose(stored, 0, 1), fromArray([0, 1, 2]));
    assert.deepEqual(ds.take(idx(2, 0)).inputs.toArray(), [[3, 6], [1, 4]]);
  });

  test('an empty index list gives empty batches of the right trailing shape', () => {
    const batch = numbered(4).take(new Int32Array(0));
    assert.deepEqual(batch.inputs.shape, [0, 3]);
    assert.deepEqual(batch.targets.shape, [0]);
  });

  test('different first dimensions are a ShapeError naming both shapes', () => {
    assert.throws(() => new TensorDataset(arange(0, 12, 1).reshape([4, 3]), arange(0, 5, 1)), (e: Error) => {
      assert.ok(e instanceof ShapeError);
      assert.match(e.message, /inputs \[4,3\] and targets \[5\] must have the same first dimension/);
      return true;
    });
    assert.throws(() => new TensorDataset(fromArray(1), fromArray([1])), ShapeError);
  });

  test('an index out of range is an ArgumentError naming it', () => {
    const ds = numbered(4);
    assert.throws(() => ds.take(idx(0, 4)), /TensorDataset\.take: index 4 \(position 1\) is out of range for a dataset of 4 samples/);
    assert.throws(() => ds.take(idx(-1)), ArgumentError);
  });

  test('subset copies the chosen samples into a new TensorDataset', () => {
    const ds = numbered(6);
    const sub = ds.subset(idx(5, 2));
    assert.ok(sub instanceof TensorDataset);
    assert.equal(sub.length, 2);
    assert.deepEqual(sub.inputs.toArray(), [[50, 51, 52], [20, 21, 22]]);
    assert.deepEqual(sub.take(idx(1)).targets.toArray(), [200]);
  });
});

describe('Subset', () => {
  test('maps its indices onto the parent dataset, and nests', () => {
    const ds = numbered(10);
    const sub = new Subset(ds, idx(9, 7, 5, 3));
    assert.equal(sub.length, 4);
    assert.deepEqual(sub.take(idx(0, 3)).targets.toArray(), [900, 300]);
    const inner = new Subset(sub, idx(2));
    assert.deepEqual(inner.take(idx(0, 0)).inputs.toArray(), [[50, 51, 52], [50, 51, 52]]);
  });

  test('keeps its own copy of the indices', () => {
    const indices = idx(1, 2);
    const sub = new Subset(numbered(5), indices);
    indices[0] = 4;
    assert.deepEqual(sub.take(idx(0)).targets.toArray(), [100]);
  });

  test('indices outside the parent or the subset are ArgumentErrors', () => {
    assert.throws(() => new Subset(numbered(3), idx(0, 3)), /Subset: index 3 .* out of range for a dataset of 3 samples/);
    assert.throws(() => new Subset(numbered(3), idx(0, 1)).take(idx(2)), /Subset\.take: index 2/);
  });
});
