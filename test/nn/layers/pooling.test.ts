import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ShapeError, arange, fromArray, mul, reshape, sum, toType } from '../../../src/index.js';
import { AvgPool2d, GlobalAvgPool2d, MaxPool2d } from '../../../src/nn/index.js';
import { values } from '../util.js';

/** [1, 1, 4, 4] holding 0 … 15 row by row. */
const grid = () => reshape(toType(arange(16), 'float32'), [1, 1, 4, 4]);

describe('pooling layers', () => {
  test('MaxPool2d(2) takes the maximum of each 2×2 window (stride defaults to the kernel)', () => {
    const y = new MaxPool2d(2).forward(grid());
    assert.deepEqual(y.shape, [1, 1, 2, 2]);
    assert.deepEqual(values(y), [5, 7, 13, 15]);
  });

  test('MaxPool2d with an explicit stride overlaps windows', () => {
    const y = new MaxPool2d(2, { stride: 1 }).forward(grid());
    assert.deepEqual(y.shape, [1, 1, 3, 3]);
    assert.deepEqual(values(y), [5, 6, 7, 9, 10, 11, 13, 14, 15]);
  });

  test('MaxPool2d sends the gradient to each window\'s maximum', () => {
    const x = grid().setRequiresGrad();
    sum(mul(new MaxPool2d(2).forward(x), fromArray([[[[1, 2], [3, 4]]]]))).backward();
    assert.deepEqual(values(x.grad!), [0, 0, 0, 0, 0, 1, 0, 2, 0, 0, 0, 0, 0, 3, 0, 4]);
  });

  test('AvgPool2d(2) averages each window', () => {
    const y = new AvgPool2d(2).forward(grid());
    assert.deepEqual(values(y), [2.5, 4.5, 10.5, 12.5]);
  });

  test('AvgPool2d with padding: countIncludePad true (default) divides by the kernel area, false by the real elements', () => {
    const x = fromArray([[[[1, 2], [3, 4]]]]);
    const included = new AvgPool2d(2, { stride: 1, padding: 1 }).forward(x);
    assert.deepEqual(included.shape, [1, 1, 3, 3]);
    assert.deepEqual(values(included), [0.25, 0.75, 0.5, 1, 2.5, 1.5, 0.75, 1.75, 1]);
    const excluded = new AvgPool2d(2, { stride: 1, padding: 1, countIncludePad: false }).forward(x);
    assert.deepEqual(values(excluded), [1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4]);
  });

  test('GlobalAvgPool2d averages each channel over its spatial positions: [N, C, H, W] → [N, C, 1, 1]', () => {
    const x = reshape(toType(arange(24), 'float32'), [2, 3, 2, 2]);
    const y = new GlobalAvgPool2d().forward(x);
    assert.deepEqual(y.shape, [2, 3, 1, 1]);
    assert.deepEqual(values(y), [1.5, 5.5, 9.5, 13.5, 17.5, 21.5]);
  });

  test('pooling layers have no parameters and describe their settings', () => {
    assert.equal(new MaxPool2d(2).parameterCount(), 0);
    assert.equal(new MaxPool2d(2).describe(), 'MaxPool2d(kernel=2)');
    assert.equal(new MaxPool2d([3, 2], { stride: 1 }).describe(), 'MaxPool2d(kernel=[3,2], stride=1)');
    assert.equal(new AvgPool2d(2, { stride: [2, 1] }).describe(), 'AvgPool2d(kernel=2, stride=[2,1])');
    assert.equal(new GlobalAvgPool2d().describe(), 'GlobalAvgPool2d');
  });

  test('a kernel larger than the input, or a non-4-D input, is a ShapeError', () => {
    assert.throws(() => new MaxPool2d(5).forward(grid()), ShapeError);
    assert.throws(() => new AvgPool2d(2).forward(fromArray([[1, 2], [3, 4]])), ShapeError);
  });
});
