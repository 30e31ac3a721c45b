import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { FloatArray, Pool2dGeometry } from '../../../src/backend/backend.js';
import { avgPool2d, avgPool2dBackward, maxPool2d, maxPool2dBackward } from '../../../src/backend/js/pool2d.js';
import { assertClose, randomArray, seededRandom, tolerance } from '../../helpers/arrays.js';
import { poolGeometry, type PoolConfig } from '../../helpers/kernel-cases.js';

/**
 * Calls visit(outIndex, plane, h, w, inside) for every kernel tap of every window, straight from the
 * definition: tap (kh, kw) of output (oh, ow) reads row oh·strideH - padH + kh, column ow·strideW - padW + kw.
 * `inside` says whether the tap hits the input; PyTorch's count_include_pad divisor counts the taps that
 * stay above the bottom/right padding edge.
 */
function forEachTap(
  g: Pool2dGeometry,
  visit: (oi: number, plane: number, h: number, w: number, inside: boolean, inPadded: boolean) => void,
): void {
  for (let plane = 0; plane < g.batch * g.channels; plane++) {
    for (let oh = 0; oh < g.outH; oh++) {
      for (let ow = 0; ow < g.outW; ow++) {
        const oi = (plane * g.outH + oh) * g.outW + ow;
        for (let kh = 0; kh < g.kernelH; kh++) {
          for (let kw = 0; kw < g.kernelW; kw++) {
            const h = oh * g.strideH - g.padH + kh;
            const w = ow * g.strideW - g.padW + kw;
            const inside = h >= 0 && h < g.inH && w >= 0 && w < g.inW;
            visit(oi, plane, h, w, inside, h < g.inH + g.padH && w < g.inW + g.padW);
          }
        }
      }
    }
  }
}

/** Max over the taps inside the input, first maximum wins except that NaN beats everything (PyTorch). */
function naiveMax(
  g: Pool2dGeometry,
  x: FloatArray,
  dy: FloatArray,
): { out: number[]; argmax: number[]; dx: Float64Array } {
  const size = g.batch * g.channels * g.outH * g.outW;
  const out: number[] = new Array<number>(size).fill(-Infinity);
  const argmax: number[] = new Array<number>(size).fill(-1);
  forEachTap(g, (oi, plane, h, w, inside) => {
    if (!inside) return;
    const v = x[plane * g.inH * g.inW + h * g.inW + w];
    if (argmax[oi] === -1 || v > out[oi] || Number.isNaN(v)) {
      out[oi] = v;
      argmax[oi] = h * g.inW + w;
    }
  });
  const dx = new Float64Array(x.length);
  for (let oi = 0; oi < size; oi++) {
    const plane = Math.floor(oi / (g.outH * g.outW));
    dx[plane * g.inH * g.inW + argmax[oi]] += dy[oi];
  }
  return { out, argmax, dx };
}

function naiveAvg(
  g: Pool2dGeometry,
  countIncludePad: boolean,
  x: FloatArray,
  dy: FloatArray,
): { out: Float64Array; dx: Float64Array } {
  const size = g.batch * g.channels * g.outH * g.outW;
  const sums = new Float64Array(size);
  const divisors = new Float64Array(size);
  forEachTap(g, (oi, plane, h, w, inside, inPadded) => {
    if (inside) sums[oi] += x[plane * g.inH * g.inW + h * g.inW + w];
    if (countIncludePad ? inPadded : inside) divisors[oi]++;
  });
  const out = sums.map((s, i) => s / divisors[i]);
  const dx = new Float64Array(x.length);
  forEachTap(g, (oi, plane, h, w, inside) => {
    if (inside) dx[plane * g.inH * g.inW + h * g.inW + w] += dy[oi] / divisors[oi];
  });
  return { out, dx };
}

const CONFIGS: PoolConfig[] = [
  { name: '2x2 stride 2, odd sizes', batch: 3, channels: 2, inH: 7, inW: 5, kernel: [2, 2], stride: [2, 2] },
  { name: '3x3 stride 2 pad 1', batch: 1, channels: 3, inH: 7, inW: 6, kernel: [3, 3], stride: [2, 2], pad: [1, 1] },
  { name: '3x3 stride 1 pad 1', batch: 3, channels: 2, inH: 5, inW: 5, kernel: [3, 3], stride: [1, 1], pad: [1, 1] },
  { name: '3x2 stride [1,2] pad [1,1]', channels: 2, inH: 6, inW: 7, kernel: [3, 2], stride: [1, 2], pad: [1, 1] },
  { name: '5x3 stride 3 pad [2,1]', channels: 2, inH: 13, inW: 17, kernel: [5, 3], stride: [3, 3], pad: [2, 1] },
  {
    name: 'ceil mode, last window off the edge',
    channels: 2, inH: 5, inW: 6, kernel: [2, 3], stride: [2, 2], ceil: true,
  },
  {
    name: 'ceil mode with padding',
    channels: 2, inH: 6, inW: 5, kernel: [3, 3], stride: [2, 2], pad: [1, 1], ceil: true,
  },
  { name: 'global window', batch: 3, channels: 2, inH: 4, inW: 3, kernel: [4, 3], stride: [1, 1] },
];

for (const type of [Float32Array, Float64Array]) {
  for (const [index, c] of CONFIGS.entries()) {
    const g = poolGeometry(c);
    const inSize = g.batch * g.channels * g.inH * g.inW;
    const outSize = g.batch * g.channels * g.outH * g.outW;

    test(`maxPool2d and its gradient match the definition: ${c.name} (${type.name})`, () => {
      const rand = seededRandom(index + 1);
      const x = randomArray(type, inSize, rand);
      const dy = randomArray(type, outSize, rand);
      const want = naiveMax(g, x, dy);
      const out = new type(outSize).fill(NaN);
      const argmax = new Int32Array(outSize).fill(-7);
      const dx = new type(inSize).fill(NaN);
      maxPool2d(g, x, out, argmax);
      maxPool2dBackward(g, dy, argmax, dx);
      assert.deepEqual([...out], want.out);
      assert.deepEqual([...argmax], want.argmax);
      assertClose(dx, want.dx, tolerance(type), 'dx');
      const valuesOnly = new type(outSize).fill(NaN);
      maxPool2d(g, x, valuesOnly, null);
      assert.deepEqual([...valuesOnly], want.out, 'without positions');
    });

    for (const countIncludePad of [true, false]) {
      const name = `${c.name}, countIncludePad ${countIncludePad} (${type.name})`;
      test(`avgPool2d and its gradient match the definition: ${name}`, () => {
        const rand = seededRandom(100 + index);
        const x = randomArray(type, inSize, rand);
        const dy = randomArray(type, outSize, rand);
        const want = naiveAvg(g, countIncludePad, x, dy);
        const out = new type(outSize).fill(NaN);
        const dx = new type(inSize).fill(NaN);
        avgPool2d(g, countIncludePad, x, out);
        avgPool2dBackward(g, countIncludePad, dy, dx);
        assertClose(out, want.out, tolerance(type), 'out');
        assertClose(dx, want.dx, tolerance(type), 'dx');
      });
    }
  }
}

test('maxPool2d: padding never wins, even over negative inputs', () => {
  const g = poolGeometry({ name: '', inH: 2, inW: 2, kernel: [3, 3], stride: [1, 1], pad: [1, 1] });
  const x = new Float64Array([-4, -3, -2, -1]);
  const out = new Float64Array(4);
  const argmax = new Int32Array(4);
  maxPool2d(g, x, out, argmax);
  assert.deepEqual([...out], [-1, -1, -1, -1]);
  assert.deepEqual([...argmax], [3, 3, 3, 3]);
});

test('maxPool2d: a window of -Infinity still points into the window', () => {
  const g = poolGeometry({ name: '', inH: 2, inW: 4, kernel: [2, 2], stride: [2, 2] });
  const x = new Float32Array([-Infinity, -Infinity, 1, -Infinity, -Infinity, -Infinity, -Infinity, 2]);
  const out = new Float32Array(2);
  const argmax = new Int32Array(2);
  maxPool2d(g, x, out, argmax);
  assert.deepEqual([...out], [-Infinity, 2]);
  assert.deepEqual([...argmax], [0, 7]);
  const dx = new Float32Array(8);
  maxPool2dBackward(g, new Float32Array([5, 6]), argmax, dx);
  assert.deepEqual([...dx], [5, 0, 0, 0, 0, 0, 0, 6]);
});

test('maxPool2d: NaN propagates as the maximum and receives the gradient', () => {
  const g = poolGeometry({ name: '', inH: 3, inW: 3, kernel: [2, 2], stride: [1, 1] });
  const x = new Float64Array([1, 2, 3, 4, NaN, 6, 7, 8, 9]);
  const out = new Float64Array(4);
  const argmax = new Int32Array(4);
  maxPool2d(g, x, out, argmax);
  assert.ok(out.every(Number.isNaN));
  assert.deepEqual([...argmax], [4, 4, 4, 4]);
  const dx = new Float64Array(9);
  maxPool2dBackward(g, new Float64Array([1, 2, 3, 4]), argmax, dx);
  assert.deepEqual([...dx], [0, 0, 0, 0, 10, 0, 0, 0, 0]);
  // With several NaNs in one window, the last one in scan order wins, as in PyTorch.
  const twoNaNs = new Float64Array([NaN, 1, NaN, 2]);
  const single = poolGeometry({ name: '', inH: 2, inW: 2, kernel: [2, 2], stride: [2, 2] });
  maxPool2d(single, twoNaNs, out, argmax);
  assert.ok(Number.isNaN(out[0]));
  assert.equal(argmax[0], 2);
});

test('avgPool2d divisors follow PyTorch on a hand-worked example', () => {
  // 3×3 windows, stride 2, padding 1 over a 4×4 plane of ones, ceil mode gives a 3×3 output whose last
  // row/column of windows runs past the padding: they start at 3, so end = min(3 + 3, 4 + 1) = 5.
  const g = poolGeometry({ name: '', inH: 4, inW: 4, kernel: [3, 3], stride: [2, 2], pad: [1, 1], ceil: true });
  assert.equal(g.outH, 3);
  const x = new Float64Array(16).fill(1);
  const out = new Float64Array(9);
  avgPool2d(g, true, x, out);
  // Per axis the windows cover 2, 3 and 1 input elements and 3, 3 and 2 padded positions.
  assert.deepEqual([...out], [4 / 9, 6 / 9, 2 / 6, 6 / 9, 9 / 9, 3 / 6, 2 / 6, 3 / 6, 1 / 4]);
  avgPool2d(g, false, x, out);
  assert.deepEqual([...out], [1, 1, 1, 1, 1, 1, 1, 1, 1]);
});

test('windows wholly in the padding: max gives -Infinity and argmax -1, average gives 0', () => {
  // Padding wider than half the kernel, which PyTorch refuses, leaves the corner windows empty. Two
  // channels, so a stray write through argmax -1 would land in the first plane.
  const g = poolGeometry({ name: '', channels: 2, inH: 1, inW: 2, kernel: [1, 1], stride: [1, 1], pad: [1, 0] });
  assert.equal(g.outH, 3);
  const x = new Float64Array([3, 4, 5, 6]);
  const dy = new Float64Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  const out = new Float64Array(12);
  const argmax = new Int32Array(12);
  const dx = new Float64Array(4);
  maxPool2d(g, x, out, argmax);
  const none = [-Infinity, -Infinity];
  assert.deepEqual([...out], [...none, 3, 4, ...none, ...none, 5, 6, ...none]);
  assert.deepEqual([...argmax], [-1, -1, 0, 1, -1, -1, -1, -1, 0, 1, -1, -1]);
  maxPool2dBackward(g, dy, argmax, dx);
  assert.deepEqual([...dx], [3, 4, 9, 10]);
  for (const countIncludePad of [true, false]) {
    avgPool2d(g, countIncludePad, x, out);
    assert.deepEqual([...out], [0, 0, 3, 4, 0, 0, 0, 0, 5, 6, 0, 0]);
    avgPool2dBackward(g, countIncludePad, dy, dx);
    assert.deepEqual([...dx], [3, 4, 9, 10]);
  }
});

test('pooling rejects short arrays and zero strides', () => {
  const g = poolGeometry({ name: '', channels: 2, inH: 4, inW: 4, kernel: [2, 2], stride: [2, 2] });
  const x = new Float64Array(32);
  const [out7, out8] = [new Float64Array(7), new Float64Array(8)];
  assert.throws(() => maxPool2d(g, x, out7, new Int32Array(8)), /maxPool2d: out has 7 elements, needs 8/);
  assert.throws(() => maxPool2d(g, x, out8, new Int32Array(7)), /argmax has 7 elements/);
  assert.throws(() => avgPool2dBackward(g, true, out8, x.subarray(1)), /dx has 31 elements, needs 32/);
  assert.throws(() => avgPool2d({ ...g, strideW: 0 }, true, x, out8), /strideW must be at least 1/);
});

interface Tensor {
  shape: number[];
  data: number[];
}

interface TorchCase {
  name: string;
  params: {
    op: string;
    kernelSize?: [number, number];
    stride?: [number, number];
    padding?: [number, number];
    countIncludePad?: boolean;
  };
  inputs: { x: Tensor };
  gradOutput: Tensor;
  output: Tensor;
  grads: { x: Tensor };
}

test('pooling matches the PyTorch fixtures', () => {
  const file = new URL('../../fixtures/torch/pool2d.json', import.meta.url);
  const { cases } = JSON.parse(readFileSync(file, 'utf8')) as { cases: TorchCase[] };
  const windowed = cases.filter((tc) => tc.params.op === 'maxPool2d' || tc.params.op === 'avgPool2d');
  assert.ok(windowed.length > 0);
  for (const tc of windowed) {
    const [batch, channels, inH, inW] = tc.inputs.x.shape;
    const [, , outH, outW] = tc.output.shape;
    const [kernelH, kernelW] = tc.params.kernelSize ?? [0, 0];
    const [strideH, strideW] = tc.params.stride ?? [0, 0];
    const [padH, padW] = tc.params.padding ?? [0, 0];
    const g: Pool2dGeometry = { batch, channels, inH, inW, kernelH, kernelW, strideH, strideW, padH, padW, outH, outW };
    const x = Float64Array.from(tc.inputs.x.data);
    const dy = Float64Array.from(tc.gradOutput.data);
    const out = new Float64Array(tc.output.data.length);
    const dx = new Float64Array(x.length);
    if (tc.params.op === 'maxPool2d') {
      const argmax = new Int32Array(out.length);
      maxPool2d(g, x, out, argmax);
      maxPool2dBackward(g, dy, argmax, dx);
    } else {
      avgPool2d(g, tc.params.countIncludePad === true, x, out);
      avgPool2dBackward(g, tc.params.countIncludePad === true, dy, dx);
    }
    assertClose(out, tc.output.data, 1e-12, `${tc.name}: out`);
    assertClose(dx, tc.grads.x.data, 1e-12, `${tc.name}: dx`);
  }
});
