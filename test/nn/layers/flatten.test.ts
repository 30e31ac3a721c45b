import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { arange, mul, reshape, sum, toType } from '../../../src/index.js';
import { Flatten } from '../../../src/nn/index.js';
import { values } from '../util.js';

const x = () => reshape(toType(arange(24), 'float32'), [2, 3, 2, 2]);

describe('Flatten', () => {
  test('keeps the batch dimension by default: [N, C, H, W] → [N, C·H·W], row-major order unchanged', () => {
    const y = new Flatten().forward(x());
    assert.deepEqual(y.shape, [2, 12]);
    assert.deepEqual(values(y), values(x()));
  });

  test('startDim and endDim choose the merged dimensions', () => {
    assert.deepEqual(new Flatten(0).forward(x()).shape, [24]);
    assert.deepEqual(new Flatten(1, 2).forward(x()).shape, [2, 6, 2]);
    assert.deepEqual(new Flatten(2).forward(x()).shape, [2, 3, 4]);
    assert.deepEqual(new Flatten(-2, -1).forward(x()).shape, [2, 3, 4]);
  });

  test('the gradient comes back in the input\'s shape', () => {
    const input = x().setRequiresGrad();
    const y = new Flatten().forward(input);
    sum(mul(y, reshape(toType(arange(24), 'float32'), [2, 12]))).backward();
    assert.deepEqual(input.grad!.shape, [2, 3, 2, 2]);
    assert.deepEqual(values(input.grad!), values(x()));
  });

  test('has no parameters', () => {
    assert.equal(new Flatten().parameterCount(), 0);
    assert.equal(new Flatten().describe(), 'Flatten');
  });
});
