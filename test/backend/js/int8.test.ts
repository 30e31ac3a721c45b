import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Conv2dGeometry, Requantization } from '../../../src/backend/backend.js';
import { conv2d } from '../../../src/backend/js/conv2d.js';
import {
  dequantize, packInt8, qavgPool2d, qconv2d, qconv2dMaxPool, qgemm, qmaxPool2d, quantize, roundHalfEven,
} from '../../../src/backend/js/int8.js';
import { avgPool2d, maxPool2d } from '../../../src/backend/js/pool2d.js';
import { seededRandom } from '../../helpers/arrays.js';
import { convGeometry, poolGeometry, type ConvConfig, type PoolConfig } from '../../helpers/kernel-cases.js';

const bytes = (n: number, rand: () => number): Uint8Array => Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
const weights = (n: number, rand: () => number): Int8Array => Int8Array.from({ length: n }, () => Math.floor(rand() * 255) - 127);

/** NHWC → NCHW as float64, so the float kernels compute the exact integer sums. */
function toChannelsFirst(x: ArrayLike<number>, n: number, h: number, w: number, c: number, shift = 0): Float64Array {
  const out = new Float64Array(n * c * h * w);
  for (let i = 0; i < n; i++) for (let y = 0; y < h; y++) for (let z = 0; z < w; z++) for (let ch = 0; ch < c; ch++) {
    out[((i * c + ch) * h + y) * w + z] = x[((i * h + y) * w + z) * c + ch]! - shift;
  }
  return out;
}

test('roundHalfEven sends ties to the even neighbour and everything else to the nearest', () => {
  const cases: [number, number][] = [[0.5, 0], [1.5, 2], [2.5, 2], [-0.5, -0], [-1.5, -2], [-2.5, -2], [2.4999, 2], [2.5001, 3], [-3.7, -4], [7, 7]];
  for (const [v, want] of cases) assert.equal(roundHalfEven(v), want, `roundHalfEven(${v})`);
});

test('qgemm computes exact u8 × s8 sums and requantizes them in float32 with ties to even', () => {
  const rand = seededRandom(7);
  for (const [m, n, k] of [[1, 1, 1], [3, 5, 7], [17, 13, 33], [9, 10, 1600]] as const) {
    const lda = k + 3, ldo = n + 2;
    const a = bytes(2 + m * lda, rand);
    const wRaw = weights(n * k, rand);
    const w = packInt8(wRaw, n, k);
    const bias = Int32Array.from({ length: n }, () => Math.floor(rand() * 20000) - 10000);
    const scale = Float32Array.from({ length: n }, () => 0.0001 + rand() * 0.01);
    const exact = (i: number, j: number): number => {
      let acc = 0;
      for (let p = 0; p < k; p++) acc += a[2 + i * lda + p]! * wRaw[j * k + p]!;
      return acc;
    };
    const u8: Requantization = { kind: 'uint8', bias, scale, zeroPoint: 3, min: 3, max: 250 };
    const out = new Uint8Array(m * ldo);
    qgemm({ m, a, aOffset: 2, lda, w, requant: u8, out, outOffset: 0, ldo });
    const offset = Float32Array.from({ length: n }, () => rand() - 0.5);
    const f32: Requantization = { kind: 'float32', bias, scale, offset };
    const outF = new Float32Array(m * ldo);
    qgemm({ m, a, aOffset: 2, lda, w, requant: f32, out: outF, outOffset: 0, ldo });
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        const v = Math.fround(Math.fround(exact(i, j) + bias[j]!) * scale[j]!);
        assert.equal(out[i * ldo + j], Math.min(250, Math.max(3, roundHalfEven(v) + 3)), `u8 [${i},${j}] of ${m}×${n}×${k}`);
        assert.equal(outF[i * ldo + j], Math.fround(v + offset[j]!), `f32 [${i},${j}] of ${m}×${n}×${k}`);
      }
    }
  }
});

test('qgemm refuses weights of another backend, a reduction beyond int32 safety and a bias near overflow', () => {
  const w = packInt8(new Int8Array(4), 2, 2);
  const requant: Requantization = { kind: 'float32', bias: new Int32Array(2), scale: new Float32Array(2), offset: null };
  const args = { m: 1, a: new Uint8Array(2), aOffset: 0, lda: 2, w, requant, out: new Float32Array(2), outOffset: 0, ldo: 2 };
  assert.throws(() => qgemm({ ...args, w: { backend: 'native', n: 2, k: 2 } }), /packed by the native backend/);
  assert.throws(() => packInt8(new Int8Array(40_000), 1, 40_000), /longest reduction/);
  assert.throws(() => qgemm({ ...args, requant: { ...requant, bias: Int32Array.of(2 ** 30, 0) } }), /bias\[0\]/);
  assert.throws(() => qgemm({ ...args, out: new Uint8Array(2) }), /Float32Array/);
  assert.throws(() => qgemm({ ...args, a: new Uint8Array(1) }), /needs 2 elements/);
});

const CONVS: ConvConfig[] = [
  { name: '1x1', batch: 2, inChannels: 3, outChannels: 4, inH: 5, inW: 4, kernel: [1, 1] },
  { name: '3x3 valid', batch: 2, inChannels: 1, outChannels: 5, inH: 7, inW: 6, kernel: [3, 3] },
  { name: 'padded strided', batch: 1, inChannels: 5, outChannels: 3, inH: 9, inW: 8, kernel: [3, 2], stride: [2, 3], pad: [1, 1, 2, 0] },
  { name: 'dilated', batch: 3, inChannels: 2, outChannels: 7, inH: 8, inW: 9, kernel: [2, 3], dilation: [2, 2], pad: [1, 0, 1, 1] },
];

test('qconv2d equals the float convolution of the shifted integers, padding taking the zero point', () => {
  const rand = seededRandom(11);
  for (const c of CONVS) {
    const g: Conv2dGeometry = convGeometry(c);
    const zero = 37;
    const x = bytes(g.batch * g.inH * g.inW * g.inChannels, rand);
    const k = g.kernelH * g.kernelW * g.inChannels;
    const wRaw = weights(g.outChannels * k, rand);
    // The float oracle's weights in [Cout, Cin, kH, kW] order.
    const wFloat = new Float64Array(wRaw.length);
    for (let o = 0; o < g.outChannels; o++) for (let kh = 0; kh < g.kernelH; kh++) for (let kw = 0; kw < g.kernelW; kw++) for (let ci = 0; ci < g.inChannels; ci++) {
      wFloat[((o * g.inChannels + ci) * g.kernelH + kh) * g.kernelW + kw] = wRaw[((o * g.kernelH + kh) * g.kernelW + kw) * g.inChannels + ci]!;
    }
    const sums = new Float64Array(g.batch * g.outChannels * g.outH * g.outW);
    conv2d(g, toChannelsFirst(x, g.batch, g.inH, g.inW, g.inChannels, zero), wFloat, null, sums);
    // Folding the zero point into the bias, as callers do: bias -= zero · Σ_k w.
    const bias = new Int32Array(g.outChannels);
    for (let o = 0; o < g.outChannels; o++) for (let p = 0; p < k; p++) bias[o]! -= zero * wRaw[o * k + p]!;
    const scale = new Float32Array(g.outChannels).fill(1);
    const out = new Float32Array(sums.length);
    qconv2d(g, x, zero, packInt8(wRaw, g.outChannels, k), { kind: 'float32', bias, scale, offset: null }, out);
    const got = toChannelsFirst(out, g.batch, g.outH, g.outW, g.outChannels);
    assert.deepEqual(Array.from(got), Array.from(sums), c.name);
  }
});

/** Fused cases: a convolution and the [kernelH, kernelW, strideH, strideW] of the max pooling after it. */
const FUSED: [ConvConfig, [number, number, number, number]][] = [
  [{ name: 'conv1-like, odd conv output', batch: 2, inChannels: 1, outChannels: 5, inH: 10, inW: 9, kernel: [3, 3] }, [2, 2, 2, 2]],
  [{ name: 'padded strided, overlapping windows', batch: 1, inChannels: 3, outChannels: 4, inH: 9, inW: 8, kernel: [3, 2], stride: [2, 1], pad: [1, 1, 0, 1] }, [3, 2, 1, 1]],
  [{ name: 'dilated, 3x3 windows stride 2', batch: 3, inChannels: 2, outChannels: 3, inH: 12, inW: 11, kernel: [2, 3], dilation: [2, 2], pad: [1, 0, 1, 1] }, [3, 3, 2, 2]],
];

test('qconv2dMaxPool is the maximum over each window of the requantized convolution, whatever the sign of the scales', () => {
  const rand = seededRandom(13);
  for (const [c, [kernelH, kernelW, strideH, strideW]] of FUSED) {
    const g: Conv2dGeometry = convGeometry(c);
    const pool = { kernelH, kernelW, strideH, strideW, outH: Math.floor((g.outH - kernelH) / strideH) + 1, outW: Math.floor((g.outW - kernelW) / strideW) + 1 };
    const zero = 21;
    const x = bytes(g.batch * g.inH * g.inW * g.inChannels, rand);
    const k = g.kernelH * g.kernelW * g.inChannels;
    const wRaw = weights(g.outChannels * k, rand);
    const bias = Int32Array.from({ length: g.outChannels }, () => Math.floor(rand() * 4000) - 2000);
    // A negative scale reverses the order of the sums: the maximum is then that of the smallest sum.
    const scale = Float32Array.from({ length: g.outChannels }, (_, j) => (j === 1 ? -1 : 1) * (0.001 + rand() * 0.01));
    const requant = { kind: 'uint8' as const, bias, scale, zeroPoint: 7, min: 7, max: 240 };
    // The exact sum of output (image, h, w, channel), padding taking the zero point, requantized.
    const requantized = (image: number, h: number, w: number, o: number): number => {
      let acc = 0;
      for (let kh = 0; kh < g.kernelH; kh++) for (let kw = 0; kw < g.kernelW; kw++) for (let ci = 0; ci < g.inChannels; ci++) {
        const ih = h * g.strideH - g.padTop + kh * g.dilationH;
        const iw = w * g.strideW - g.padLeft + kw * g.dilationW;
        const inside = ih >= 0 && ih < g.inH && iw >= 0 && iw < g.inW;
        const xv = inside ? x[((image * g.inH + ih) * g.inW + iw) * g.inChannels + ci]! : zero;
        acc += xv * wRaw[((o * g.kernelH + kh) * g.kernelW + kw) * g.inChannels + ci]!;
      }
      const v = Math.fround(Math.fround(acc + bias[o]!) * scale[o]!);
      return Math.min(240, Math.max(7, roundHalfEven(v) + 7));
    };
    const out = new Uint8Array(g.batch * pool.outH * pool.outW * g.outChannels);
    qconv2dMaxPool(g, pool, x, zero, packInt8(wRaw, g.outChannels, k), requant, out);
    let i = 0;
    for (let image = 0; image < g.batch; image++) for (let ph = 0; ph < pool.outH; ph++) for (let pw = 0; pw < pool.outW; pw++) for (let o = 0; o < g.outChannels; o++) {
      let want = 0;
      for (let dh = 0; dh < kernelH; dh++) for (let dw = 0; dw < kernelW; dw++) {
        want = Math.max(want, requantized(image, ph * strideH + dh, pw * strideW + dw, o));
      }
      assert.equal(out[i++], want, `${c.name}: image ${image}, window (${ph}, ${pw}), channel ${o}`);
    }
  }
});

test('qconv2dMaxPool refuses windows that pad or fall short of the conv output, a float32 requantization and short arrays', () => {
  const g = convGeometry({ name: '', inChannels: 1, outChannels: 2, inH: 7, inW: 6, kernel: [3, 3] });
  const pool = { kernelH: 2, kernelW: 2, strideH: 2, strideW: 2, outH: 2, outW: 2 };
  const w = packInt8(new Int8Array(18), 2, 9);
  const requant = { kind: 'uint8' as const, bias: new Int32Array(2), scale: new Float32Array(2).fill(1), zeroPoint: 0, min: 0, max: 255 };
  const x = new Uint8Array(42);
  qconv2dMaxPool(g, pool, x, 0, w, requant, new Uint8Array(8));
  // The conv output is 5 × 4: two whole windows down (a third would pad), two across.
  assert.throws(() => qconv2dMaxPool(g, { ...pool, outH: 3 }, x, 0, w, requant, new Uint8Array(12)), /pool outH must be 2/);
  assert.throws(() => qconv2dMaxPool(g, { ...pool, outW: 1 }, x, 0, w, requant, new Uint8Array(8)), /pool outW must be 2/);
  assert.throws(() => qconv2dMaxPool(g, { ...pool, kernelH: 0 }, x, 0, w, requant, new Uint8Array(8)), /pool kernelH must be an integer ≥ 1/);
  assert.throws(() => qconv2dMaxPool(g, { ...pool, strideH: 1.5 }, x, 0, w, requant, new Uint8Array(8)), /pool strideH/);
  const float32 = { kind: 'float32', bias: new Int32Array(2), scale: new Float32Array(2), offset: null } as unknown as typeof requant;
  assert.throws(() => qconv2dMaxPool(g, pool, x, 0, w, float32, new Uint8Array(8)), /must be uint8/);
  assert.throws(() => qconv2dMaxPool(g, pool, x, 0, w, requant, new Uint8Array(7)), /out needs 8 values/);
  assert.throws(() => qconv2dMaxPool(g, pool, x.subarray(1), 0, w, requant, new Uint8Array(8)), /x needs 42 values/);
  // A conv output smaller than the window has no whole window.
  const small = convGeometry({ name: '', inChannels: 1, outChannels: 2, inH: 3, inW: 6, kernel: [3, 3] });
  qconv2dMaxPool(small, { ...pool, outH: 0 }, new Uint8Array(18), 0, w, requant, new Uint8Array(0));
});

const POOLS: PoolConfig[] = [
  { name: '2x2', batch: 2, channels: 3, inH: 6, inW: 5, kernel: [2, 2], stride: [2, 2] },
  { name: 'padded 3x3', batch: 1, channels: 4, inH: 7, inW: 7, kernel: [3, 3], stride: [2, 2], pad: [1, 1] },
  { name: 'ceil', batch: 2, channels: 2, inH: 5, inW: 6, kernel: [2, 3], stride: [2, 2], ceil: true },
];

test('qmaxPool2d equals float max pooling; qavgPool2d rounds the float average half up', () => {
  const rand = seededRandom(3);
  for (const c of POOLS) {
    const g = poolGeometry(c);
    const zero = 90;
    const x = bytes(g.batch * g.inH * g.inW * g.channels, rand);
    const xFloat = toChannelsFirst(x, g.batch, g.inH, g.inW, g.channels);
    const outSize = g.batch * g.channels * g.outH * g.outW;
    const maxWant = new Float64Array(outSize);
    maxPool2d(g, xFloat, maxWant, new Int32Array(outSize));
    const maxGot = new Uint8Array(outSize);
    qmaxPool2d(g, x, maxGot);
    assert.deepEqual(Array.from(toChannelsFirst(maxGot, g.batch, g.outH, g.outW, g.channels)), Array.from(maxWant), `max ${c.name}`);
    for (const include of [true, false]) {
      // Padding is the quantized zero: shifting by it makes the float kernel's zero padding agree.
      const avgWant = new Float64Array(outSize);
      avgPool2d(g, include, toChannelsFirst(x, g.batch, g.inH, g.inW, g.channels, zero), avgWant);
      const avgGot = new Uint8Array(outSize);
      qavgPool2d(g, include, zero, x, avgGot);
      const got = toChannelsFirst(avgGot, g.batch, g.outH, g.outW, g.channels);
      got.forEach((q, i) => assert.equal(q, Math.floor(avgWant[i]! + zero + 0.5 + 1e-9), `avg ${c.name} include=${include} at ${i}`));
    }
  }
});

test('quantize rounds x / scale to even and clamps, dequantize inverts it within half a step, both transposing the layout', () => {
  const shape = { batch: 2, channels: 3, plane: 4 };
  const rand = seededRandom(5);
  const x = Float32Array.from({ length: 24 }, () => Math.fround(rand() * 4 - 1));
  const scale = Math.fround(4 / 255);
  const q = new Uint8Array(24);
  quantize(shape, x, scale, 64, q);
  const back = new Float32Array(24);
  dequantize(shape, q, scale, 64, back);
  for (let i = 0; i < 24; i++) assert.ok(Math.abs(back[i]! - x[i]!) <= scale / 2 + 1e-7, `value ${i}`);
  // channels-first (image 1, channel 2, position 3) lands channels-last at (image 1, position 3, channel 2).
  assert.equal(q[12 + 3 * 3 + 2], Math.min(255, roundHalfEven(Math.fround(x[12 + 2 * 4 + 3]! / scale)) + 64));

  const special = Float32Array.of(NaN, Infinity, -Infinity, 1e30, -1e30, 0.5, 1.5, 2.5);
  const out = new Uint8Array(8);
  quantize({ batch: 1, channels: 8, plane: 1 }, special, 1, 10, out);
  assert.deepEqual(Array.from(out), [0, 255, 0, 255, 0, 10, 12, 12]);
  assert.throws(() => quantize(shape, x, 0, 0, q), /scale must be a positive finite number/);
});
