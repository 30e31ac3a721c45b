import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AutogradError, Tensor, fromArray } from '../../src/index.js';

test('Tensor.prototype.backward is installed by importing the library', () => {
  assert.equal(typeof Tensor.prototype.backward, 'function');
});

test('x.backward passes the gradient and options through', () => {
  const x = fromArray([1, 2]).setRequiresGrad();
  const y = x.mul(x);
  y.backward(fromArray([1, 1]), { retainGraph: true });
  y.backward(fromArray([2, 2]));
  assert.deepEqual(Array.from(x.grad!.toTypedArray()), [6, 12]);
  assert.throws(() => y.backward(fromArray([1, 1])), AutogradError);
});
