import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ArgumentError, Tensor, fromArray, mul, sum } from '../../src/index.js';
import { Parameter } from '../../src/nn/index.js';
import { values } from './util.js';

describe('Parameter', () => {
  test('owns a copy of its source: changing the source afterwards does not change the parameter', () => {
    const source = fromArray([[1, 2], [3, 4]]);
    const p = new Parameter(source);
    source.data[0] = 100;
    assert.deepEqual(values(p), [1, 2, 3, 4]);
    p.data[1] = -1;
    assert.equal(source.data[1], 2);
    assert.notEqual(p.data, source.data);
  });

  test('is a contiguous leaf tensor of the source\'s shape and float dtype that requires gradients', () => {
    const view = fromArray([[1, 2, 3], [4, 5, 6]], { dtype: 'float64' }).transpose();
    const p = new Parameter(view);
    assert.ok(p instanceof Tensor);
    assert.deepEqual(p.shape, [3, 2]);
    assert.equal(p.dtype, 'float64');
    assert.deepEqual(values(p), [1, 4, 2, 5, 3, 6]);
    assert.ok(p.isContiguous() && p.offset === 0 && p.data.length === p.size);
    assert.equal(p.requiresGrad, true);
    assert.equal(p.isLeaf, true);
    assert.equal(new Parameter(fromArray([1])).dtype, 'float32');
  });

  test('collects gradients like any leaf', () => {
    const p = new Parameter(fromArray([1, 2, 3]));
    sum(mul(p, fromArray([4, 5, 6]))).backward();
    assert.deepEqual(values(p.grad!), [4, 5, 6]);
  });

  test('is a leaf even when made from an op\'s output (the graph is not kept)', () => {
    const x = fromArray([1, 2], { requiresGrad: true });
    const p = new Parameter(mul(x, 2));
    assert.equal(p.isLeaf, true);
    sum(p).backward();
    assert.equal(x.grad, null);
  });

  test('rejects integer tensors with an ArgumentError naming the dtype', () => {
    for (const dtype of ['int32', 'int8', 'uint8'] as const) {
      assert.throws(() => new Parameter(fromArray([1, 2], { dtype })), (error: unknown) => {
        assert.ok(error instanceof ArgumentError);
        assert.match(error.message, new RegExp(`float32 or float64, got ${dtype}`));
        return true;
      });
    }
  });
});
