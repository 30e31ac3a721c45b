import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { arange, fromArray, full, randn, scalar, zeros, Generator } from '../../src/index.js';
import { formatTensor } from '../../src/tensor/format.js';

describe('formatTensor / toString', () => {
  test('toString and formatTensor agree', () => {
    const t = fromArray([1, 2]);
    assert.equal(t.toString(), formatTensor(t));
    assert.equal(`${t}`, formatTensor(t));
  });

  test('scalars', () => {
    assert.equal(scalar(3).toString(), 'tensor(3., shape=[], dtype=float32)');
    assert.equal(scalar(2.5).toString(), 'tensor(2.5000, shape=[], dtype=float32)');
    assert.equal(scalar(-4, { dtype: 'int32' }).toString(), 'tensor(-4, shape=[], dtype=int32)');
  });

  test('1-D float values are aligned with four decimals', () => {
    assert.equal(fromArray([1, 2.5, -3]).toString(), 'tensor([ 1.0000,  2.5000, -3.0000], shape=[3], dtype=float32)');
  });

  test('whole floats print with a trailing dot', () => {
    assert.equal(fromArray([1, 20], { dtype: 'float64' }).toString(), 'tensor([ 1., 20.], shape=[2], dtype=float64)');
  });

  test('2-D and 3-D nesting', () => {
    assert.equal(fromArray([[1, 2], [3, 4]]).toString(), 'tensor([[1., 2.],\n        [3., 4.]], shape=[2,2], dtype=float32)');
    assert.equal(
      arange(8).reshape([2, 2, 2]).toString(),
      'tensor([[[0, 1],\n         [2, 3]],\n\n        [[4, 5],\n         [6, 7]]], shape=[2,2,2], dtype=int32)',
    );
  });

  test('views print their logical values', () => {
    const t = arange(0, 6, 1, { dtype: 'float32' }).reshape([2, 3]).transpose();
    assert.equal(t.toString(), 'tensor([[0., 3.],\n        [1., 4.],\n        [2., 5.]], shape=[3,2], dtype=float32)');
  });

  test('integer tensors print plain integers, right-aligned', () => {
    assert.equal(fromArray([-1, 10, 100], { dtype: 'int32' }).toString(), 'tensor([ -1,  10, 100], shape=[3], dtype=int32)');
    assert.equal(fromArray([1, 0], { dtype: 'uint8' }).toString(), 'tensor([1, 0], shape=[2], dtype=uint8)');
  });

  test('scientific notation for very small or very large magnitudes', () => {
    assert.equal(fromArray([1e-5, 1]).toString(), 'tensor([1.0000e-5, 1.0000e+0], shape=[2], dtype=float32)');
    assert.equal(fromArray([123456.7, 1]).toString(), 'tensor([1.2346e+5, 1.0000e+0], shape=[2], dtype=float32)');
    // Zeros do not force scientific notation.
    assert.equal(fromArray([0, 0.5]).toString(), 'tensor([0.0000, 0.5000], shape=[2], dtype=float32)');
  });

  test('huge whole numbers use scientific notation too', () => {
    assert.equal(full([2], 1e9).toString(), 'tensor([1.0000e+9, 1.0000e+9], shape=[2], dtype=float32)');
    const s = full([1], 1e21).toString();
    assert.match(s, /^tensor\(\[1\.0000e\+21\]/);
    assert.equal(full([1], 1e7).toString(), 'tensor([10000000.], shape=[1], dtype=float32)');
  });

  test('NaN and infinities', () => {
    assert.equal(fromArray([NaN, Infinity, 1.5]).toString(), 'tensor([     NaN, Infinity,   1.5000], shape=[3], dtype=float32)');
  });

  test('large tensors are summarized with ...', () => {
    assert.equal(arange(2000).toString(), 'tensor([   0,    1,    2, ..., 1997, 1998, 1999], shape=[2000], dtype=int32)');
    const m = arange(2000).reshape([40, 50]).toString();
    const lines = m.split('\n');
    assert.equal(lines.length, 7, m);
    assert.equal(lines[0], 'tensor([[   0,    1,    2, ...,   47,   48,   49],');
    assert.equal(lines[3].trim(), '...,');
    assert.ok(lines[6]!.startsWith('        [1950, 1951, 1952, ..., 1997, 1998, 1999]], shape=[40,50]'), lines[6]);
  });

  test('small tensors are not summarized', () => {
    const s = arange(1000).toString();
    assert.ok(!s.includes('...'));
    assert.ok(s.includes(' 500,'));
  });

  test('a very large tensor formats without overflowing the stack', () => {
    const s = randn([300_000], { generator: new Generator(1) }).toString();
    assert.match(s, /^tensor\(\[.*\.\.\..*\], shape=\[300000\], dtype=float32\)$/);
    const z = zeros([500, 1000]).toString();
    assert.ok(z.endsWith('shape=[500,1000], dtype=float32)'));
  });

  test('empty tensors', () => {
    assert.equal(zeros([0]).toString(), 'tensor([], shape=[0], dtype=float32)');
  });

  test('includes requiresGrad on leaves and the gradFn name on op outputs', () => {
    const x = zeros([2]).setRequiresGrad();
    assert.equal(x.toString(), 'tensor([0., 0.], shape=[2], dtype=float32, requiresGrad=true)');
    assert.equal(x.mul(2).toString(), 'tensor([0., 0.], shape=[2], dtype=float32, gradFn=mul)');
    assert.ok(x.add(1).sum().toString().endsWith('gradFn=sum)'));
  });
});
