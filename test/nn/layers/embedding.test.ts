import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ArgumentError, DTypeError, Generator, fromArray, mul, scalar, sum } from '../../../src/index.js';
import { Embedding } from '../../../src/nn/index.js';
import { moments, values } from '../util.js';

const ints = (data: number[] | number[][]) => fromArray(data, { dtype: 'int32' });

/** Embedding(4, 2) whose row i is [10·i, 10·i + 1]. */
function table(): Embedding {
  const layer = new Embedding(4, 2);
  layer.loadStateDict({ weight: fromArray([[0, 1], [10, 11], [20, 21], [30, 31]]) });
  return layer;
}

describe('Embedding', () => {
  test('looks up rows: indices of shape [...] give [..., dim]', () => {
    const layer = table();
    const y = layer.forward(ints([[3, 0, 3], [1, 2, 1]]));
    assert.deepEqual(y.shape, [2, 3, 2]);
    assert.deepEqual(values(y), [30, 31, 0, 1, 30, 31, 10, 11, 20, 21, 10, 11]);
    assert.deepEqual(layer.forward(ints([2])).shape, [1, 2]);
    const single = layer.forward(scalar(1, { dtype: 'int32' }));
    assert.deepEqual(single.shape, [2]);
    assert.deepEqual(values(single), [10, 11]);
  });

  test('the gradient accumulates in the rows of repeated indices; unused rows get zero', () => {
    const layer = table();
    const y = layer.forward(ints([[1, 3, 1], [1, 0, 3]]));
    const g = fromArray([[[1, 2], [3, 4], [5, 6]], [[7, 8], [9, 10], [11, 12]]]);
    sum(mul(y, g)).backward();
    assert.deepEqual(values(layer.weight.grad!), [
      9, 10, // row 0: position (1,1)
      1 + 5 + 7, 2 + 6 + 8, // row 1: three uses
      0, 0, // row 2: unused
      3 + 11, 4 + 12, // row 3: two uses
    ]);
  });

  test('weights are initialized N(0, 1) like PyTorch, reproducibly with a seed', () => {
    const layer = new Embedding(500, 64, { generator: new Generator(1) });
    assert.deepEqual(layer.weight.shape, [500, 64]);
    const m = moments(layer.weight.data);
    assert.ok(Math.abs(m.mean) < 0.02, `mean ${m.mean}`);
    assert.ok(Math.abs(m.std - 1) < 0.02, `std ${m.std}`);
    assert.deepEqual(values(new Embedding(3, 2, { generator: new Generator(4) }).weight), values(new Embedding(3, 2, { generator: new Generator(4) }).weight));
  });

  test('takes int32 indices: float indices are a DTypeError, out-of-range ones an ArgumentError', () => {
    assert.equal(table().inputDType(), 'int32');
    assert.throws(() => table().forward(fromArray([1, 2])), DTypeError);
    assert.throws(() => table().forward(ints([4])), (error: unknown) => error instanceof ArgumentError && /index 4 is out of range/.test(error.message));
    assert.throws(() => table().forward(ints([-1])), ArgumentError);
  });

  test('sizes must be positive integers; describe names them', () => {
    assert.throws(() => new Embedding(0, 2), ArgumentError);
    assert.throws(() => new Embedding(3, 2.5), ArgumentError);
    assert.equal(table().describe(), 'Embedding(4, 2)');
    assert.equal(table().parameterCount(), 8);
  });
});
