import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { DTypeError, Generator, ShapeError, noGrad, randn, zeros } from '../../../src/index.js';
import { Linear, ReLU, Sequential, SparseLinear, SPARSE_LINEAR_MIN_SPARSITY } from '../../../src/nn/index.js';
import { assertClose, values } from '../util.js';

/** Linear(in → out) whose weights are zero but for about 1 − sparsity of them (every 1/(1 − sparsity)-th). */
function pruned(inFeatures: number, outFeatures: number, sparsity: number): Linear {
  const layer = new Linear(inFeatures, outFeatures, { generator: new Generator(4) });
  const w = layer.weight.data as Float32Array;
  const keep = Math.round(1 / (1 - sparsity));
  for (let i = 0; i < w.length; i++) if (i % keep !== 0) w[i] = 0;
  return layer;
}

describe('SparseLinear', () => {
  test('computes what its source Linear computes, fused with a following ReLU, over any leading dimensions', () => {
    const source = pruned(37, 19, 0.95);
    const sparse = new SparseLinear(source);
    assert.ok(Math.abs(sparse.sparsity - 0.95) < 0.01);
    assert.ok(sparse.runsSparse(1) && sparse.runsSparse(6));
    for (const shape of [[1, 37], [6, 37], [2, 3, 37]]) {
      const x = randn(shape, { generator: new Generator(shape.length) });
      noGrad(() => {
        assertClose(sparse.forward(x), source.forward(x), 1e-5, `forward ${shape}`);
        assertClose(new Sequential(sparse, new ReLU()).forward(x), new Sequential(source, new ReLU()).forward(x), 1e-5, `with ReLU ${shape}`);
      });
      assert.deepEqual(sparse.forward(x).shape, [...shape.slice(0, -1), 19]);
    }
  });

  test('runs a single row dense below the single-row threshold, and still computes the same', () => {
    const sparsity = (SPARSE_LINEAR_MIN_SPARSITY.batch + SPARSE_LINEAR_MIN_SPARSITY.singleRow) / 2;
    const source = pruned(40, 8, sparsity);
    const sparse = new SparseLinear(source);
    assert.ok(!sparse.runsSparse(1) && sparse.runsSparse(2), `at ${sparse.sparsity} zeros`);
    const x = randn([1, 40], { generator: new Generator(9) });
    noGrad(() => assertClose(sparse.forward(x), source.forward(x), 1e-5));
  });

  test('keeps a copy of the weights: it is for frozen weights, and later writes to the source are not seen', () => {
    const source = pruned(5, 3, 0.9);
    const sparse = new SparseLinear(source);
    const x = randn([2, 5], { generator: new Generator(2) });
    const before = values(noGrad(() => sparse.forward(x)));
    (source.weight.data as Float32Array).fill(7);
    assert.deepEqual(values(noGrad(() => sparse.forward(x))), before);
    assert.match(sparse.describe(), /^SparseLinear\(in=5, out=3, \d+\.\d% zeros\)$/);
  });

  test('names the input at fault, and refuses weights that are not float32', () => {
    const sparse = new SparseLinear(pruned(5, 3, 0.9));
    assert.throws(() => sparse.forward(zeros([2, 4])), (e: unknown) => e instanceof ShapeError && /SparseLinear\(5→3\): input \[2,4\] must end in 5 features/.test(e.message));
    const float64 = { inFeatures: 2, outFeatures: 1, weight: zeros([1, 2], { dtype: 'float64' }), bias: null } as unknown as Linear;
    assert.throws(() => new SparseLinear(float64), (e: unknown) => e instanceof DTypeError && /the weight must be float32, got float64/.test(e.message));
  });
});
