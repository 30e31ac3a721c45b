import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DTypeError, ShapeError, add, linear, matmul, noGrad, relu, toType, transpose, zeros } from '../../src/index.js';
import { leaf } from '../helpers/gradcheck.js';
import { assertClose, assertThrows, checkGrad, values } from './util.js';

describe('linear: gradients', () => {
  test('a batch of rows, with bias', () => checkGrad((x, w, b) => linear(x!, w!, b!), [leaf([3, 4], 1), leaf([5, 4], 2), leaf([5], 3)], [3, 5]));
  test('no bias', () => checkGrad((x, w) => linear(x!, w!), [leaf([2, 3], 4), leaf([4, 3], 5)], [2, 4]));
  test('leading batch dimensions', () => checkGrad((x, w, b) => linear(x!, w!, b!), [leaf([2, 3, 4], 6), leaf([2, 4], 7), leaf([2], 8)], [2, 3, 2]));
  test('one sample as a vector', () => checkGrad((x, w, b) => linear(x!, w!, b!), [leaf([4], 9), leaf([3, 4], 10), leaf([3], 11)], [3]));
  test('with a fused ReLU', () => checkGrad((x, w, b) => linear(x!, w!, b!, 'relu'), [leaf([6, 4], 12), leaf([5, 4], 13), leaf([5], 14)], [6, 5]));
  test('a transposed weight view', () => checkGrad((x, w) => linear(x!, transpose(w!)), [leaf([3, 4], 15), leaf([4, 2], 16)], [3, 2]));
  test('an empty batch', () => {
    const w = leaf([3, 2], 18);
    const b = leaf([3], 19);
    checkGrad((x, w, b) => linear(x!, w!, b!, 'relu'), [leaf([0, 2], 17), w, b], [0, 3]);
    assert.ok(values(w.grad!).every((v) => v === 0));
    assert.ok(values(b.grad!).every((v) => v === 0));
  });
});

describe('linear: forward values', () => {
  // Row counts on both sides of the native few-row path (≤ 4 rows), a deep reduction, and float64.
  for (const rows of [1, 2, 4, 5, 37]) {
    for (const dtype of ['float32', 'float64'] as const) {
      test(`${rows} rows, ${dtype}: x · Wᵀ + b, and its ReLU`, () => {
        const x = toType(leaf([rows, 300], rows).detach(), dtype);
        const w = toType(leaf([70, 300], rows + 1).detach(), dtype);
        const b = toType(leaf([70], rows + 2).detach(), dtype);
        const want = add(matmul(x, transpose(w)), b);
        const tol = dtype === 'float32' ? 1e-5 : 1e-12;
        assertClose(linear(x, w, b), values(want), tol);
        assertClose(linear(x, w, b, 'relu'), values(relu(want)), tol);
        assert.equal(linear(x, w).dtype, dtype);
      });
    }
  }
  test('mixed precisions compute in the wider type', () => {
    const x = leaf([2, 3], 1).detach();
    const w = toType(leaf([4, 3], 2).detach(), 'float32');
    const y = linear(x, w);
    assert.equal(y.dtype, 'float64');
    assertClose(y, values(matmul(x, transpose(toType(w, 'float64')))), 1e-12);
  });
  test('records nothing without gradients', () => {
    const y = noGrad(() => linear(leaf([2, 3], 1), leaf([4, 3], 2), leaf([4], 3)));
    assert.equal(y.requiresGrad, false);
    assert.equal(y.gradFn, null);
  });
});

describe('linear: errors', () => {
  test('input features must match the weight', () => {
    assertThrows(() => linear(zeros([2, 3]), zeros([4, 5])), ShapeError, 'linear', '[2,3]', '5 features', '[4,5]');
    assertThrows(() => linear(zeros([]), zeros([4, 5])), ShapeError, 'linear');
  });
  test('the weight must be 2-D and the bias match its rows', () => {
    assertThrows(() => linear(zeros([2, 3]), zeros([3])), ShapeError, 'linear', 'weight', '[3]');
    assertThrows(() => linear(zeros([2, 3]), zeros([4, 3]), zeros([3])), ShapeError, 'linear', 'bias', '[4]', '[3]');
  });
  test('integer tensors: DTypeError', () => {
    assertThrows(() => linear(zeros([2, 3], { dtype: 'int32' }), zeros([4, 3])), DTypeError, 'linear', 'input');
    assertThrows(() => linear(zeros([2, 3]), zeros([4, 3]), zeros([4], { dtype: 'uint8' })), DTypeError, 'linear', 'bias');
  });
});
