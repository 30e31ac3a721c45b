import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as js from '../../../src/backend/js/pool2d.js';
import { randomArray, seededRandom } from '../../helpers/arrays.js';
import { forEachConfiguration, nativeBackend } from './native.js';
import { poolGeometry, type PoolConfig } from '../../helpers/kernel-cases.js';
const native = nativeBackend();

const CONFIGS: PoolConfig[] = [
  { name: '2x2 stride 2, odd sizes', batch: 3, channels: 2, inH: 7, inW: 5, kernel: [2, 2], stride: [2, 2] },
  { name: '3x3 stride 2 pad 1', batch: 1, channels: 3, inH: 7, inW: 6, kernel: [3, 3], stride: [2, 2], pad: [1, 1] },
  { name: '3x3 stride 1 pad 1', batch: 3, channels: 2, inH: 5, inW: 5, kernel: [3, 3], stride: [1, 1], pad: [1, 1] },
  { name: '3x2 stride [1,2] pad [1,1]', channels: 2, inH: 6, inW: 7, kernel: [3, 2], stride: [1, 2], pad: [1, 1] },
  { name: '5x3 stride 3 pad [2,1]', channels: 2, inH: 13, inW: 17, kernel: [5, 3], stride: [3, 3], pad: [2, 1] },
  { name: 'ceil mode, last window off the edge', channels: 2, inH: 5, inW: 6, kernel: [2, 3], stride: [2, 2], ceil: true },
  { name: 'ceil mode with padding', channels: 2, inH: 6, inW: 5, kernel: [3, 3], stride: [2, 2], pad: [1, 1], ceil: true },
  { name: 'global window', batch: 3, channels: 2, inH: 4, inW: 3, kernel: [4, 3], stride: [1, 1] },
  { name: 'padding wider than half the kernel', channels: 2, inH: 1, inW: 2, kernel: [1, 1], stride: [1, 1], pad: [1, 0] },
  // Large enough to be split over threads.
  { name: 'reference CNN, first pool', batch: 16, channels: 32, inH: 26, inW: 26, kernel: [2, 2], stride: [2, 2] },
  { name: 'reference CNN, second pool, odd size', batch: 16, channels: 64, inH: 11, inW: 11, kernel: [2, 2], stride: [2, 2] },
  { name: 'overlapping 3x3 stride 2 pad 1', batch: 4, channels: 24, inH: 33, inW: 31, kernel: [3, 3], stride: [2, 2], pad: [1, 1] },
];

/** Random values with a sprinkling of NaN, ±Infinity and ties, which the max rules must treat as js does. */
function awkwardArray(length: number, rand: () => number): Float32Array {
  const x = randomArray(Float32Array, length, rand) as Float32Array;
  const specials = [NaN, Infinity, -Infinity, 0.5, 0.5];
  for (let i = 0; i < length; i++) if (rand() < 0.05) x[i] = specials[Math.floor(rand() * specials.length)]!;
  return x;
}

for (const [index, c] of CONFIGS.entries()) {
  const g = poolGeometry(c);
  const inSize = g.batch * g.channels * g.inH * g.inW;
  const outSize = g.batch * g.channels * g.outH * g.outW;

  test(`pooling and its gradients match the js backend exactly: ${c.name}`, () => {
    const rand = seededRandom(index + 1);
    const x = awkwardArray(inSize, rand);
    const dy = randomArray(Float32Array, outSize, rand);
    const want = { out: new Float32Array(outSize), argmax: new Int32Array(outSize), dx: new Float32Array(inSize) };
    js.maxPool2d(g, x, want.out, want.argmax);
    js.maxPool2dBackward(g, dy, want.argmax, want.dx);
    const finite = randomArray(Float32Array, inSize, rand);
    const wantAvg = [true, false].map((countIncludePad) => {
      const out = new Float32Array(outSize);
      const dx = new Float32Array(inSize);
      js.avgPool2d(g, countIncludePad, finite, out);
      js.avgPool2dBackward(g, countIncludePad, dy, dx);
      return { out, dx };
    });
    forEachConfiguration(native, (config) => {
      const out = new Float32Array(outSize).fill(NaN);
      const argmax = new Int32Array(outSize).fill(-7);
      const dx = new Float32Array(inSize).fill(NaN);
      native.maxPool2d(g, x, out, argmax);
      native.maxPool2dBackward(g, dy, argmax, dx);
      assert.deepEqual({ out, argmax, dx }, want, `max pooling (${config})`);
      const valuesOnly = new Float32Array(outSize).fill(NaN);
      native.maxPool2d(g, x, valuesOnly, null);
      assert.deepEqual(valuesOnly, want.out, `max pooling without positions (${config})`);
      for (const [i, countIncludePad] of [true, false].entries()) {
        const avgOut = new Float32Array(outSize).fill(NaN);
        const avgDx = new Float32Array(inSize).fill(NaN);
        native.avgPool2d(g, countIncludePad, finite, avgOut);
        native.avgPool2dBackward(g, countIncludePad, dy, avgDx);
        assert.deepEqual({ out: avgOut, dx: avgDx }, wantAvg[i], `average pooling, countIncludePad ${countIncludePad} (${config})`);
      }
    });
  });
}

test('2×2 stride-2 max pooling (its own kernel) follows the js rules for every mix of NaN, ±Infinity and ties', () => {
  // Each window of one plane holds one of the 6⁴ arrangements of these values, in scan order.
  const special = [NaN, Infinity, -Infinity, 1, 1, -2];
  const windows = special.length ** 4;
  const g = poolGeometry({ name: '', inH: 2, inW: 2 * windows + 1, kernel: [2, 2], stride: [2, 2] });
  const x = new Float32Array(g.inH * g.inW).fill(5);
  for (let k = 0; k < windows; k++) {
    const digits = [0, 1, 2, 3].map((d) => special[Math.floor(k / special.length ** d) % special.length]!);
    [x[2 * k], x[2 * k + 1], x[g.inW + 2 * k], x[g.inW + 2 * k + 1]] = digits;
  }
  const want = { out: new Float32Array(windows), argmax: new Int32Array(windows) };
  js.maxPool2d(g, x, want.out, want.argmax);
  forEachConfiguration(native, (config) => {
    const got = { out: new Float32Array(windows).fill(7), argmax: new Int32Array(windows).fill(-7) };
    native.maxPool2d(g, x, got.out, got.argmax);
    assert.deepEqual(got, want, config);
    const valuesOnly = new Float32Array(windows).fill(7);
    native.maxPool2d(g, x, valuesOnly, null);
    assert.deepEqual(valuesOnly, want.out, `without positions (${config})`);
  });
});

test('float64 pooling runs on the js kernels', () => {
  const g = poolGeometry(CONFIGS[1]!);
  const x = new Float64Array(g.channels * g.inH * g.inW).map((_, i) => Math.sin(i));
  const out = new Float64Array(g.channels * g.outH * g.outW);
  const want = out.slice();
  const argmax = new Int32Array(out.length);
  native.maxPool2d(g, x, out, argmax);
  js.maxPool2d(g, x, want, new Int32Array(out.length));
  assert.deepEqual(out, want);
  native.avgPool2d(g, true, x, out);
  js.avgPool2d(g, true, x, want);
  assert.deepEqual(out, want);
});

test('maxPool2dBackward skips argmax entries outside the plane instead of writing out of bounds', () => {
  const g = poolGeometry({ name: '', channels: 2, inH: 2, inW: 2, kernel: [2, 2], stride: [2, 2] });
  const dx = new Float32Array(8).fill(NaN);
  native.maxPool2dBackward(g, new Float32Array([1, 2]), new Int32Array([3, 4]), dx);
  assert.deepEqual([...dx], [0, 0, 0, 1, 0, 0, 0, 0]);
});

test('pooling rejects short arrays and zero strides, with the js messages', () => {
  const g = poolGeometry({ name: '', channels: 2, inH: 4, inW: 4, kernel: [2, 2], stride: [2, 2] });
  const x = new Float32Array(32);
  const [out7, out8] = [new Float32Array(7), new Float32Array(8)];
  assert.throws(() => native.maxPool2d(g, x, out7, new Int32Array(8)), /maxPool2d: out has 7 elements, needs 8/);
  assert.throws(() => native.maxPool2d(g, x, out8, new Int32Array(7)), /argmax has 7 elements/);
  assert.throws(() => native.maxPool2dBackward(g, out8, new Int32Array(8), x.subarray(1)), /dx has 31 elements/);
  assert.throws(() => native.avgPool2dBackward(g, true, out8, x.subarray(1)), /dx has 31 elements, needs 32/);
  assert.throws(() => native.avgPool2d({ ...g, strideW: 0 }, true, x, out8), /strideW must be at least 1/);
  assert.throws(() => native.avgPool2d({ ...g, padH: 0.5 }, true, x, out8), /padH must be a non-negative integer, got 0.5/);
});
