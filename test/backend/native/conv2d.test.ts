import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as js from '../../../src/backend/js/conv2d.js';
import { assertClose, randomArray, seededRandom } from '../../helpers/arrays.js';
import { forEachConfiguration, nativeBackend } from './native.js';
import { convGeometry, type ConvConfig } from '../../helpers/kernel-cases.js';
import type { Conv2dGeometry, Pool2dGeometry } from '../../../src/backend/backend.js';
const native = nativeBackend();

const CONFIGS: ConvConfig[] = [
  { name: '3x3 pad 1 with bias', inChannels: 3, outChannels: 4, inH: 7, inW: 7, kernel: [3, 3], pad: [1, 1, 1, 1], bias: true },
  {
    name: '3x3 stride 2 pad 1, batch 3',
    batch: 3, inChannels: 3, outChannels: 5, inH: 13, inW: 9, kernel: [3, 3], stride: [2, 2], pad: [1, 1, 1, 1],
  },
  {
    name: '5x3 stride 3 pad 2',
    inChannels: 2, outChannels: 3, inH: 17, inW: 11, kernel: [5, 3], stride: [3, 3], pad: [2, 2, 2, 2], bias: true,
  },
  {
    name: '3x3 dilation 2 pad 2, batch 3',
    batch: 3, inChannels: 3, outChannels: 2, inH: 9, inW: 8, kernel: [3, 3], pad: [2, 2, 2, 2], dilation: [2, 2], bias: true,
  },
  {
    name: 'groups 2, batch 7',
    batch: 7, inChannels: 4, outChannels: 6, inH: 6, inW: 5, kernel: [3, 3], pad: [1, 1, 1, 1], groups: 2, bias: true,
  },
  {
    name: 'depthwise, batch 5',
    batch: 5, inChannels: 5, outChannels: 5, inH: 7, inW: 6, kernel: [3, 3], stride: [2, 2], pad: [1, 1, 1, 1], groups: 5,
  },
  {
    name: 'depthwise multiplier 2, batch 3',
    batch: 3, inChannels: 3, outChannels: 6, inH: 5, inW: 7, kernel: [5, 3], pad: [2, 2, 1, 1], groups: 3, bias: true,
  },
  { name: '1x1 direct, batch 8', batch: 8, inChannels: 5, outChannels: 7, inH: 5, inW: 3, kernel: [1, 1], bias: true },
  { name: '1x1 direct, groups 2', batch: 3, inChannels: 4, outChannels: 6, inH: 3, inW: 4, kernel: [1, 1], groups: 2 },
  { name: '1x1 stride 2', inChannels: 3, outChannels: 2, inH: 7, inW: 5, kernel: [1, 1], stride: [2, 2], bias: true },
  { name: '1x1 pad 1', inChannels: 2, outChannels: 3, inH: 3, inW: 3, kernel: [1, 1], pad: [1, 1, 1, 1] },
  { name: '1x1 padded top, cropped bottom', inChannels: 2, outChannels: 3, inH: 4, inW: 3, kernel: [1, 1], pad: [1, -1, 0, 0] },
  { name: '1x1 padded left, cropped right', inChannels: 2, outChannels: 3, inH: 3, inW: 4, kernel: [1, 1], pad: [0, 0, 1, -1] },
  {
    name: "asymmetric 'same' 2x2 (pad bottom/right), batch 6",
    batch: 6, inChannels: 2, outChannels: 3, inH: 5, inW: 6, kernel: [2, 2], pad: [0, 1, 0, 1], bias: true,
  },
  { name: "asymmetric 'same' 4x2", inChannels: 3, outChannels: 4, inH: 7, inW: 6, kernel: [4, 2], pad: [1, 2, 0, 1] },
  {
    name: 'asymmetric, heavy top/left',
    inChannels: 2, outChannels: 2, inH: 6, inW: 5, kernel: [3, 3], stride: [2, 1], pad: [2, 0, 2, 0],
  },
  {
    name: 'mixed strides, dilation and padding',
    batch: 3, inChannels: 4, outChannels: 4, inH: 13, inW: 17,
    kernel: [5, 3], stride: [2, 3], pad: [2, 1, 1, 2], dilation: [1, 2], groups: 2, bias: true,
  },
  { name: 'kernel larger than input', inChannels: 2, outChannels: 3, inH: 2, inW: 3, kernel: [5, 3], pad: [2, 2, 1, 1] },
  { name: 'stride leaves last rows unused', inChannels: 2, outChannels: 2, inH: 8, inW: 8, kernel: [3, 3], stride: [3, 2] },
  {
    name: 'deep: k past the k-block, rows past the row block',
    batch: 2, inChannels: 33, outChannels: 130, inH: 6, inW: 5, kernel: [3, 3], pad: [1, 1, 1, 1], bias: true,
  },
  {
    name: 'wide: output plane past the column block',
    batch: 2, inChannels: 3, outChannels: 9, inH: 40, inW: 37, kernel: [3, 3], pad: [1, 1, 1, 1], bias: true,
  },
  { name: 'reference CNN, first layer', batch: 8, inChannels: 1, outChannels: 32, inH: 28, inW: 28, kernel: [3, 3], bias: true },
  { name: 'reference CNN, second layer', batch: 8, inChannels: 32, outChannels: 64, inH: 13, inW: 13, kernel: [3, 3], bias: true },
  { name: 'one large image, its panels shared out', inChannels: 32, outChannels: 64, inH: 40, inW: 40, kernel: [3, 3], bias: true },
  {
    name: 'pooled by Winograd tiles: odd sizes, channels not a multiple of 8, images across vector lanes',
    batch: 5, inChannels: 11, outChannels: 13, inH: 9, inW: 12, kernel: [3, 3], bias: true,
  },
  { name: 'pooled by Winograd tiles: channels past the k-block', batch: 2, inChannels: 300, outChannels: 9, inH: 6, inW: 7, kernel: [3, 3] },
  { name: 'empty batch', batch: 0, inChannels: 3, outChannels: 4, inH: 5, inW: 5, kernel: [3, 3], bias: true },
];

for (const [index, c] of CONFIGS.entries()) {
  test(`conv2d forward and gradients match the js backend: ${c.name}`, () => {
    const g = convGeometry(c);
    const rand = seededRandom(index + 1);
    const x = randomArray(Float32Array, g.batch * g.inChannels * g.inH * g.inW, rand);
    const w = randomArray(Float32Array, g.outChannels * (g.inChannels / g.groups) * g.kernelH * g.kernelW, rand);
    const bias = c.bias === true ? randomArray(Float32Array, g.outChannels, rand) : null;
    const dy = randomArray(Float32Array, g.batch * g.outChannels * g.outH * g.outW, rand);
    const want = { out: new Float32Array(dy.length), dx: new Float32Array(x.length), dw: new Float32Array(w.length) };
    js.conv2d(g, x, w, bias, want.out);
    js.conv2dBackwardInput(g, dy, w, want.dx);
    js.conv2dBackwardWeight(g, x, dy, want.dw);
    forEachConfiguration(native, (config) => {
      // NaN-filled outputs prove each kernel overwrites rather than accumulates.
      const out = new Float32Array(dy.length).fill(NaN);
      const dx = new Float32Array(x.length).fill(NaN);
      const dw = new Float32Array(w.length).fill(NaN);
      native.conv2d(g, x, w, bias, out);
      native.conv2dBackwardInput(g, dy, w, dx);
      native.conv2dBackwardWeight(g, x, dy, dw);
      assertClose(out, want.out, 1e-5, `out (${config})`);
      assertClose(dx, want.dx, 1e-5, `dx (${config})`);
      assertClose(dw, want.dw, 1e-5, `dw (${config})`);
    });
  });
}

/** Max poolings of a convolution's output: 2×2 at stride 2 (its own kernel) and 3×3 at stride 2, padded. */
function poolingsOf(g: Conv2dGeometry): Pool2dGeometry[] {
  const of = (kernel: number, pad: number): Pool2dGeometry => ({
    batch: g.batch, channels: g.outChannels, inH: g.outH, inW: g.outW, kernelH: kernel, kernelW: kernel, strideH: 2, strideW: 2,
    padH: pad, padW: pad, outH: Math.floor((g.outH + 2 * pad - kernel) / 2) + 1, outW: Math.floor((g.outW + 2 * pad - kernel) / 2) + 1,
  });
  return g.outH >= 2 && g.outW >= 2 ? [of(2, 0), of(3, 1)] : [of(3, 1)];
}

for (const [index, c] of CONFIGS.entries()) {
  test(`conv2d with a fused ReLU, and conv2dMaxPool, match the js backend: ${c.name}`, () => {
    const g = convGeometry(c);
    const rand = seededRandom(200 + index);
    const x = randomArray(Float32Array, g.batch * g.inChannels * g.inH * g.inW, rand);
    const w = randomArray(Float32Array, g.outChannels * (g.inChannels / g.groups) * g.kernelH * g.kernelW, rand);
    const bias = c.bias === true ? randomArray(Float32Array, g.outChannels, rand) : null;
    const size = g.batch * g.outChannels * g.outH * g.outW;
    const want = new Float32Array(size);
    js.conv2d(g, x, w, bias, want, 'relu');
    const pools = poolingsOf(g).map((pool) => {
      const pooled = new Float32Array(pool.batch * pool.channels * pool.outH * pool.outW);
      js.conv2dMaxPool(g, pool, x, w, bias, pooled, 'relu');
      return { pool, pooled };
    });
    forEachConfiguration(native, (config) => {
      const out = new Float32Array(size).fill(NaN);
      native.conv2d(g, x, w, bias, out, 'relu');
      assertClose(out, want, 1e-5, `relu (${config})`);
      for (const { pool, pooled } of pools) {
        const got = new Float32Array(pooled.length).fill(NaN);
        native.conv2dMaxPool(g, pool, x, w, bias, got, 'relu');
        assertClose(got, pooled, 1e-5, `pooled ${pool.kernelH}×${pool.kernelW} (${config})`);
      }
    });
  });
}

test('float64 convolutions run on the js kernels, with identical results', () => {
  const g = convGeometry(CONFIGS[16]!);
  const rand = seededRandom(99);
  const x = randomArray(Float64Array, g.batch * g.inChannels * g.inH * g.inW, rand);
  const w = randomArray(Float64Array, g.outChannels * (g.inChannels / g.groups) * g.kernelH * g.kernelW, rand);
  const bias = randomArray(Float64Array, g.outChannels, rand);
  const dy = randomArray(Float64Array, g.batch * g.outChannels * g.outH * g.outW, rand);
  const got = { out: new Float64Array(dy.length), dx: new Float64Array(x.length), dw: new Float64Array(w.length) };
  native.conv2d(g, x, w, bias, got.out);
  native.conv2dBackwardInput(g, dy, w, got.dx);
  native.conv2dBackwardWeight(g, x, dy, got.dw);
  const want = { out: new Float64Array(dy.length), dx: new Float64Array(x.length), dw: new Float64Array(w.length) };
  js.conv2d(g, x, w, bias, want.out);
  js.conv2dBackwardInput(g, dy, w, want.dx);
  js.conv2dBackwardWeight(g, x, dy, want.dw);
  assert.deepEqual(got, want);
});

test('conv2d rejects inconsistent convGeometry and short arrays, with the js messages', () => {
  const g = convGeometry({ name: '', inChannels: 4, outChannels: 6, inH: 3, inW: 3, kernel: [3, 3], groups: 2 });
  const x = new Float32Array(36);
  const w = new Float32Array(6 * 2 * 9);
  const out = new Float32Array(6);
  assert.throws(() => native.conv2d({ ...g, groups: 3 }, x, w, null, out), /groups \(3\) must divide/);
  assert.throws(() => native.conv2d({ ...g, strideH: 0 }, x, w, null, out), /strideH must be at least 1/);
  assert.throws(() => native.conv2d({ ...g, padTop: -1 }, x, w, null, out), /padTop must be a non-negative integer/);
  assert.throws(() => native.conv2d(g, x.subarray(1), w, null, out), /x-shaped array has 35 elements, needs 36/);
  assert.throws(() => native.conv2d(g, x, w, new Float32Array(5), out), /bias has 5 elements, needs 6/);
  assert.throws(() => native.conv2dBackwardWeight(g, x, out, w.subarray(1)), /w-shaped array/);
  assert.throws(() => native.conv2dBackwardInput(g, out.subarray(1), w, x), /out-shaped array/);
  const pool = { batch: 1, channels: 6, inH: 1, inW: 1, kernelH: 1, kernelW: 1, strideH: 1, strideW: 1, padH: 0, padW: 0, outH: 1, outW: 1 };
  native.conv2dMaxPool(g, pool, x, w, null, out);
  assert.throws(() => native.conv2dMaxPool(g, { ...pool, channels: 5 }, x, w, null, out), /pooling takes \[1, 5, 1, 1\]/);
  assert.throws(() => native.conv2dMaxPool(g, pool, x, w, null, out.subarray(1)), /conv2dMaxPool: out has 5 elements, needs 6/);
  assert.throws(() => native.conv2dMaxPool(g, pool, x.subarray(1), w, null, out), /x-shaped array has 35 elements/);
});
