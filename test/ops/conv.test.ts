import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ArgumentError, DTypeError, ShapeError, arange, conv2d, fromArray, ones, relu, toType, zeros, type Conv2dOptions } from '../../src/index.js';
import { leaf } from '../helpers/gradcheck.js';
import { assertClose, assertThrows, checkGrad, values } from './util.js';

/** Gradient check of conv2d over x, weight and (when given) bias, asserting the output shape. */
function checkConv(xShape: number[], wShape: number[], withBias: boolean, options: Conv2dOptions, outShape: number[], seed = 1): void {
  const inputs = [leaf(xShape, seed), leaf(wShape, seed + 1)];
  if (withBias) inputs.push(leaf([wShape[0]!], seed + 2));
  checkGrad((x, w, b) => conv2d(x!, w!, b ?? null, options), inputs, outShape);
}

describe('conv2d: gradients', () => {
  test('3x3, no padding, with bias', () => checkConv([2, 2, 4, 4], [3, 2, 3, 3], true, {}, [2, 3, 2, 2]));
  test('no bias', () => checkConv([1, 2, 4, 4], [3, 2, 3, 3], false, {}, [1, 3, 2, 2]));
  test('stride 2 (number)', () => checkConv([1, 2, 5, 5], [2, 2, 3, 3], true, { stride: 2 }, [1, 2, 2, 2]));
  test('stride [2,1] with padding [1,0]', () => checkConv([1, 2, 5, 4], [2, 2, 3, 3], true, { stride: [2, 1], padding: [1, 0] }, [1, 2, 3, 2]));
  test('padding 1 (number)', () => checkConv([1, 2, 3, 3], [2, 2, 3, 3], true, { padding: 1 }, [1, 2, 3, 3]));
  test("padding 'same', odd kernel", () => checkConv([1, 2, 4, 3], [2, 2, 3, 3], true, { padding: 'same' }, [1, 2, 4, 3]));
  test("padding 'same', even kernel (extra padding bottom/right)", () => checkConv([1, 2, 4, 3], [2, 2, 2, 4], true, { padding: 'same' }, [1, 2, 4, 3]));
  test("padding 'same' with dilation", () => checkConv([1, 1, 5, 4], [2, 1, 2, 3], true, { padding: 'same', dilation: 2 }, [1, 2, 5, 4]));
  test("padding 'valid'", () => checkConv([1, 2, 4, 5], [2, 2, 3, 2], false, { padding: 'valid' }, [1, 2, 2, 4]));
  test('dilation 2', () => checkConv([1, 2, 5, 5], [2, 2, 2, 2], true, { dilation: 2 }, [1, 2, 3, 3]));
  test('dilation [1,2] with padding and stride', () => checkConv([1, 1, 5, 6], [2, 1, 3, 2], true, { dilation: [1, 2], padding: [1, 2], stride: [2, 2] }, [1, 2, 3, 4]));
  test('groups 2', () => checkConv([1, 4, 3, 3], [4, 2, 2, 2], true, { groups: 2 }, [1, 4, 2, 2]));
  test('groups 2 with more output channels', () => checkConv([1, 2, 3, 3], [4, 1, 2, 2], false, { groups: 2, padding: 1 }, [1, 4, 4, 4]));
  test('depthwise (groups = in channels)', () => checkConv([2, 3, 3, 3], [3, 1, 3, 3], true, { groups: 3, padding: 1 }, [2, 3, 3, 3]));
  test('depthwise with multiplier 2', () => checkConv([1, 2, 4, 4], [4, 1, 3, 3], true, { groups: 2 }, [1, 4, 2, 2]));
  test('1x1 kernel', () => checkConv([2, 3, 2, 3], [2, 3, 1, 1], true, {}, [2, 2, 2, 3]));
  test('size-1 everything', () => checkConv([1, 1, 1, 1], [1, 1, 1, 1], true, {}, [1, 1, 1, 1]));
  test('kernel as large as the input', () => checkConv([1, 2, 3, 2], [2, 2, 3, 2], true, {}, [1, 2, 1, 1]));
  test('size-0 batch', () => {
    const w = leaf([3, 2, 3, 3], 2);
    const b = leaf([3], 3);
    checkGrad((x, w, b) => conv2d(x!, w!, b!), [leaf([0, 2, 4, 4], 1), w, b], [0, 3, 2, 2]);
    assert.ok(values(w.grad!).every((v) => v === 0));
    assert.ok(values(b.grad!).every((v) => v === 0));
  });
  test('non-contiguous input, weight and bias views', () => {
    checkGrad((x, w) => conv2d(x!.permute([0, 3, 1, 2]), w!), [leaf([1, 4, 4, 2], 1), leaf([2, 2, 3, 3], 2)], [1, 2, 2, 2]);
    checkGrad((x, w) => conv2d(x!.slice([null, null, [0, 7, 2], [0, 7, 2]]), w!.transpose(0, 1)), [leaf([1, 2, 7, 7], 3), leaf([2, 2, 3, 3], 4)], [1, 2, 2, 2]);
    checkGrad((x, w, b) => conv2d(x!.expand([2, 2, 3, 3]), w!, b!.expand([2])), [leaf([1, 2, 3, 3], 5), leaf([2, 2, 2, 2], 6), leaf([1], 7)], [2, 2, 2, 2]);
  });
});

describe('conv2d: fused ReLU', () => {
  test('gradients', () => {
    checkGrad((x, w, b) => conv2d(x!, w!, b!, { padding: 1 }, 'relu'), [leaf([2, 2, 4, 3], 1), leaf([3, 2, 3, 3], 2), leaf([3], 3)], [2, 3, 4, 3]);
  });
  for (const dtype of ['float32', 'float64'] as const) {
    test(`values are relu(conv2d) (${dtype})`, () => {
      const x = toType(leaf([3, 4, 9, 8], 4).detach(), dtype);
      const w = toType(leaf([5, 4, 3, 3], 5).detach(), dtype);
      const b = toType(leaf([5], 6).detach(), dtype);
      assert.deepEqual(values(conv2d(x, w, b, { stride: 2 }, 'relu')), values(relu(conv2d(x, w, b, { stride: 2 }))));
    });
  }
});

describe('conv2d: forward values', () => {
  const x = arange(1, 17, 1, { dtype: 'float64' }).reshape([1, 1, 4, 4]);
  const w = ones([1, 1, 2, 2], { dtype: 'float64' });
  test('2x2 ones kernel sums windows', () => {
    assert.deepEqual(conv2d(x, w).toArray(), [[[[14, 18, 22], [30, 34, 38], [46, 50, 54]]]]);
  });
  test('bias is added per output channel', () => {
    const w2 = fromArray([1, 1, 1, 1, 0, 0, 0, 1], { dtype: 'float64', shape: [2, 1, 2, 2] });
    const out = conv2d(x, w2, fromArray([1, -1], { dtype: 'float64' }), { stride: 2 });
    assert.deepEqual(out.toArray(), [[[[15, 23], [47, 55]], [[5, 7], [13, 15]]]]);
  });
  test('cross-correlation, not convolution (the kernel is not flipped)', () => {
    const k = fromArray([1, 0, 0, 0], { dtype: 'float64', shape: [1, 1, 2, 2] });
    assert.deepEqual(conv2d(x, k).toArray(), [[[[1, 2, 3], [5, 6, 7], [9, 10, 11]]]]);
  });
  test("padding 'same' with an even kernel pads bottom/right", () => {
    const x3 = arange(1, 10, 1, { dtype: 'float64' }).reshape([1, 1, 3, 3]);
    assert.deepEqual(conv2d(x3, w, null, { padding: 'same' }).toArray(), [[[[12, 16, 9], [24, 28, 15], [15, 17, 9]]]]);
  });
  test('padding 1 with a 3x3 ones kernel', () => {
    const o = conv2d(ones([1, 1, 3, 3], { dtype: 'float64' }), ones([1, 1, 3, 3], { dtype: 'float64' }), null, { padding: 1 });
    assert.deepEqual(o.toArray(), [[[[4, 6, 4], [6, 9, 6], [4, 6, 4]]]]);
  });
  test('dilation 2', () => {
    assert.deepEqual(conv2d(x, w, null, { dilation: 2 }).toArray(), [[[[24, 28], [40, 44]]]]);
  });
  test('groups keep channels apart', () => {
    const xg = fromArray([1, 1, 1, 1, 2, 2, 2, 2], { dtype: 'float64', shape: [1, 2, 2, 2] });
    const wg = fromArray([3, 5], { dtype: 'float64', shape: [2, 1, 1, 1] });
    assert.deepEqual(conv2d(xg, wg, null, { groups: 2 }).toArray(), [[[[3, 3], [3, 3]], [[10, 10], [10, 10]]]]);
  });
  test('float32 matches float64', () => {
    const xs = leaf([1, 2, 5, 5], 1).detach();
    const ws = leaf([3, 2, 3, 3], 2).detach();
    const bs = leaf([3], 3).detach();
    const want = conv2d(xs, ws, bs, { padding: 1, stride: 2 });
    const got = conv2d(toType(xs, 'float32'), toType(ws, 'float32'), toType(bs, 'float32'), { padding: 1, stride: 2 });
    assert.equal(got.dtype, 'float32');
    assertClose(got, values(want), 1e-5);
  });
});

describe('conv2d: errors', () => {
  const x = zeros([1, 3, 5, 5]);
  test('channel mismatch names both shapes', () => {
    assertThrows(() => conv2d(x, zeros([2, 4, 3, 3])), ShapeError, 'conv2d', '[1,3,5,5]', '[2,4,3,3]');
    assertThrows(() => conv2d(zeros([1, 4, 5, 5]), zeros([3, 2, 3, 3]), null, { groups: 2 }), ShapeError, 'conv2d', 'groups=2', 'not divisible');
  });
  test('input and weight must be 4-D', () => {
    assertThrows(() => conv2d(zeros([3, 5, 5]), zeros([2, 3, 3, 3])), ShapeError, 'conv2d', '[3,5,5]', 'unsqueeze');
    assertThrows(() => conv2d(x, zeros([2, 3, 3])), ShapeError, 'conv2d', 'weight', '[2,3,3]');
  });
  test('bias of the wrong shape', () => {
    assertThrows(() => conv2d(x, zeros([2, 3, 3, 3]), zeros([3])), ShapeError, 'conv2d', 'bias', '[2]', '[3]');
  });
  test('kernel larger than the padded input', () => {
    assertThrows(() => conv2d(zeros([1, 3, 2, 2]), zeros([2, 3, 3, 3])), ShapeError, 'conv2d', 'smaller than');
  });
  test('integer tensors: DTypeError naming float32', () => {
    assertThrows(() => conv2d(zeros([1, 3, 5, 5], { dtype: 'int32' }), zeros([2, 3, 3, 3])), DTypeError, 'conv2d', 'float32', 'int32');
    assertThrows(() => conv2d(x, zeros([2, 3, 3, 3], { dtype: 'int8' })), DTypeError, 'conv2d', 'weight', 'int8');
    assertThrows(() => conv2d(x, zeros([2, 3, 3, 3]), zeros([2], { dtype: 'int32' })), DTypeError, 'conv2d', 'bias');
  });
  test('bad options are ArgumentErrors', () => {
    const w = zeros([2, 3, 3, 3]);
    assertThrows(() => conv2d(x, w, null, { padding: 'same', stride: 2 }), ArgumentError, 'conv2d', 'same', 'stride');
    assertThrows(() => conv2d(x, w, null, { stride: 0 }), ArgumentError, 'conv2d', 'stride');
    assertThrows(() => conv2d(x, w, null, { padding: -1 }), ArgumentError, 'conv2d', 'padding');
    assertThrows(() => conv2d(x, w, null, { dilation: [1, 1.5] }), ArgumentError, 'conv2d', 'dilation');
    assertThrows(() => conv2d(x, w, null, { groups: 0 }), ArgumentError, 'conv2d', 'groups');
  });
});
