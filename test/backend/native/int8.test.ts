import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChannelsLastShape, Conv2dGeometry, Pool2dGeometry, Requantization } from '../../../src/backend/backend.js';
import * as js from '../../../src/backend/js/int8.js';
import { seededRandom } from '../../helpers/arrays.js';
import { GEMM_SIZES, convGeometry, poolGeometry, type ConvConfig, type PoolConfig } from '../../helpers/kernel-cases.js';
import { nativeBackend } from './native.js';

const native = nativeBackend();

/**
 * Runs body once per integer kernel family this CPU has (AVX512-VNNI, AVX-512 without VNNI, AVX2, scalar)
 * and on 1 and 2 threads, restoring the settings after. Every result must equal the js backend's byte for
 * byte: assert.deepEqual on typed arrays compares their bytes, so −0, NaN payloads and untouched gaps count.
 */
function forEachInt8Configuration(body: (label: string) => void): void {
  const { isa, threads } = native;
  try {
    for (const family of native.isas) {
      for (const vnni of family === 'avx512' ? [true, false] : [true]) {
        for (const count of [1, 2]) {
          native.setIsa(family);
          native.setVnni(vnni);
          native.setThreads(count);
          body(`${native.int8Isa}, ${count} thread${count === 1 ? '' : 's'}`);
        }
      }
    }
  } finally {
    native.setIsa(isa);
    native.setVnni(true);
    native.setThreads(threads);
  }
}

test('the avx512 family runs the int8 kernels on VNNI exactly where the CPU has it, and setVnni(false) turns it off', (t) => {
  if (!native.isas.includes('avx512')) return t.skip('this CPU has no AVX-512');
  let flags: string[];
  try {
    flags = /^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim().split(/\s+/) ?? [];
  } catch {
    return t.skip('no /proc/cpuinfo to compare with');
  }
  const { isa } = native;
  try {
    native.setIsa('avx512');
    assert.equal(native.int8Isa, flags.includes('avx512_vnni') ? 'avx512-vnni' : 'avx512');
    native.setVnni(false);
    assert.equal(native.int8Isa, 'avx512');
    native.setIsa('avx2');
    assert.equal(native.int8Isa, 'avx2');
  } finally {
    native.setVnni(true);
    native.setIsa(isa);
  }
});

const bytes = (n: number, rand: () => number): Uint8Array => Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
const weights = (n: number, rand: () => number): Int8Array => Int8Array.from({ length: n }, () => Math.floor(rand() * 256) - 128);
const pick = <T>(values: readonly T[], rand: () => number): T => values[Math.floor(rand() * values.length)]!;

/**
 * A random requantization of `kind` for n channels and reduction k. Scales spread the outputs over the u8
 * range and past both ends; a power-of-two scale makes ties (x.5) common, to test rounding half to even.
 */
function makeRequant(kind: 'uint8' | 'float32', n: number, k: number, rand: () => number): Requantization {
  const bias = Int32Array.from({ length: n }, () => Math.floor((rand() - 0.5) * 20000 * Math.sqrt(k)));
  const spread = 1 / (100 * Math.sqrt(Math.max(k, 1)));
  const scale = rand() < 0.3 ? new Float32Array(n).fill(2 ** -Math.ceil(Math.log2(1 / spread))) : Float32Array.from({ length: n }, () => spread * (0.2 + rand()));
  if (kind === 'float32') {
    return { kind, bias, scale, offset: rand() < 0.5 ? null : Float32Array.from({ length: n }, () => rand() * 8 - 4) };
  }
  const zeroPoint = pick([0, 3, 128, 255], rand);
  // Half the time a fused ReLU (min = zeroPoint), else a random [min, max].
  const relu = rand() < 0.5;
  const min = relu ? zeroPoint : Math.floor(rand() * 100);
  const max = relu ? 255 : min + Math.floor(rand() * (256 - min));
  return { kind, bias, scale, zeroPoint, min, max };
}

/** An output array of the requantization's type, filled with junk that must survive outside the written region. */
function makeOutput(r: Requantization, length: number, rand: () => number): Uint8Array | Float32Array {
  return r.kind === 'uint8' ? bytes(length, rand) : Float32Array.from({ length }, () => rand() * 100 - 50);
}

interface QGemmCase {
  m: number;
  n: number;
  k: number;
}

/** Shapes past the native tiles (6 or 3 rows, 16–64 channels, groups of 4 in k), and big enough to split over threads. */
const LARGE_QGEMM: QGemmCase[] = [
  { m: 9, n: 10, k: 1600 },
  { m: 130, n: 70, k: 300 },
  { m: 1, n: 1100, k: 2000 },
  { m: 257, n: 33, k: 261 },
  { m: 37, n: 130, k: 521 },
];

function* qgemmCases(): Generator<QGemmCase> {
  for (const m of GEMM_SIZES) {
    for (const n of GEMM_SIZES) {
      for (const k of [1, 2, 3, 4, 5, 6, 7, 8, 9, 17, 33]) yield { m, n, k };
    }
  }
  yield* LARGE_QGEMM;
}

test('qgemm equals the js backend bit for bit on ragged shapes, both requantizations, every kernel family and 1–2 threads', () => {
  const rand = seededRandom(21);
  const all = [...qgemmCases()].flatMap((c) => (['uint8', 'float32'] as const).map((kind) => {
    const pad = (): number => Math.floor(rand() * 4);
    const aOffset = pad(), lda = c.k + pad(), outOffset = pad(), ldo = c.n + pad();
    const a = bytes(aOffset + c.m * lda, rand);
    const w = weights(c.n * c.k, rand);
    const requant = makeRequant(kind, c.n, c.k, rand);
    const out = makeOutput(requant, outOffset + c.m * ldo + 3, rand);
    const want = out.slice();
    js.qgemm({ m: c.m, a, aOffset, lda, w: js.packInt8(w, c.n, c.k), requant, out: want, outOffset, ldo });
    // Packed once, before the family changes: the packing serves every family.
    const packed = native.packInt8(w, c.n, c.k);
    return { c, kind, args: { m: c.m, a, aOffset, lda, w: packed, requant, out, outOffset, ldo }, want };
  }));
  forEachInt8Configuration((config) => {
    for (const { c, kind, args, want } of all) {
      const got = args.out.slice();
      native.qgemm({ ...args, out: got });
      assert.deepEqual(got, want, `qgemm ${JSON.stringify(c)} ${kind} (${config})`);
    }
  });
});

test('qgemm requantizes NaN, infinite, huge, tiny and negative scales as the js backend does', () => {
  const rand = seededRandom(22);
  const scales = [NaN, Infinity, -Infinity, 1e30, -1e30, 1e-40, 0, -0, -0.003, 0.5, 2 ** -7, 1e-5];
  const n = scales.length, k = 7, m = 9;
  const a = bytes(m * k, rand);
  const w = weights(n * k, rand);
  const bias = Int32Array.from({ length: n }, (_, j) => (j % 3 === 0 ? 0 : Math.floor(rand() * 2000) - 1000));
  const requants: Requantization[] = [
    { kind: 'uint8', bias, scale: Float32Array.from(scales), zeroPoint: 128, min: 0, max: 255 },
    { kind: 'uint8', bias, scale: Float32Array.from(scales), zeroPoint: 7, min: 7, max: 200 },
    { kind: 'float32', bias, scale: Float32Array.from(scales), offset: null },
    { kind: 'float32', bias, scale: Float32Array.from(scales), offset: Float32Array.from(scales, (_, j) => (j % 2 === 0 ? 0 : -1.5)) },
  ];
  const packed = native.packInt8(w, n, k);
  const jsPacked = js.packInt8(w, n, k);
  forEachInt8Configuration((config) => {
    for (const requant of requants) {
      const want = makeOutput(requant, m * n, rand);
      const got = want.slice();
      js.qgemm({ m, a, aOffset: 0, lda: k, w: jsPacked, requant, out: want, outOffset: 0, ldo: n });
      native.qgemm({ m, a, aOffset: 0, lda: k, w: packed, requant, out: got, outOffset: 0, ldo: n });
      assert.deepEqual(got, want, `${requant.kind} offset=${requant.kind === 'float32' && requant.offset !== null} (${config})`);
    }
  });
});

test('qgemm with k = 0, m = 0 or n = 0 writes the requantized bias or nothing', () => {
  const rand = seededRandom(23);
  for (const [m, n, k] of [[3, 5, 0], [0, 5, 4], [3, 0, 4]] as const) {
    const requant = makeRequant('uint8', n, k, rand);
    const a = bytes(m * k, rand);
    const w = weights(n * k, rand);
    const want = bytes(m * n + 2, rand);
    const got = want.slice();
    js.qgemm({ m, a, aOffset: 0, lda: k, w: js.packInt8(w, n, k), requant, out: want, outOffset: 0, ldo: n });
    native.qgemm({ m, a, aOffset: 0, lda: k, w: native.packInt8(w, n, k), requant, out: got, outOffset: 0, ldo: n });
    assert.deepEqual(got, want, `${m}×${n}×${k}`);
  }
});

test('qgemm refuses weights packed elsewhere and arrays too short, before touching memory', () => {
  const w = native.packInt8(new Int8Array(8), 2, 4);
  const requant: Requantization = { kind: 'float32', bias: new Int32Array(2), scale: new Float32Array(2), offset: null };
  const args = { m: 2, a: new Uint8Array(8), aOffset: 0, lda: 4, w, requant, out: new Float32Array(4), outOffset: 0, ldo: 2 };
  assert.throws(() => native.qgemm({ ...args, w: js.packInt8(new Int8Array(8), 2, 4) }), /packed by the js backend/);
  assert.throws(() => native.qgemm({ ...args, w: { backend: 'native', n: 2, k: 4 } }), /not packed by the native backend's packInt8/);
  assert.throws(() => native.qgemm({ ...args, a: new Uint8Array(7) }), /needs 8 elements/);
  assert.throws(() => native.qgemm({ ...args, out: new Float32Array(3) }), /needs 4 elements/);
  assert.throws(() => native.qgemm({ ...args, out: new Uint8Array(4) }), /Float32Array/);
  assert.throws(() => native.packInt8(new Int8Array(40_000), 1, 40_000), /longest reduction/);
});

const CONVS: ConvConfig[] = [
  { name: '1x1 direct, Cin 5', batch: 2, inChannels: 5, outChannels: 7, inH: 5, inW: 4, kernel: [1, 1] },
  { name: '1x1 direct, Cin 8', batch: 1, inChannels: 8, outChannels: 33, inH: 3, inW: 3, kernel: [1, 1] },
  { name: '1x1 strided', batch: 2, inChannels: 3, outChannels: 4, inH: 7, inW: 6, kernel: [1, 1], stride: [2, 2] },
  { name: '1x1 cropped', inChannels: 4, outChannels: 5, inH: 6, inW: 6, kernel: [1, 1], pad: [0, -2, 0, -1] },
  { name: '3x3 valid, Cin 1 (conv1)', batch: 3, inChannels: 1, outChannels: 32, inH: 28, inW: 28, kernel: [3, 3] },
  { name: '3x3 Cin 32 (conv2)', batch: 2, inChannels: 32, outChannels: 64, inH: 13, inW: 13, kernel: [3, 3] },
  { name: '3x3 same', batch: 2, inChannels: 3, outChannels: 17, inH: 9, inW: 7, kernel: [3, 3], pad: [1, 1, 1, 1] },
  { name: 'even kernel, asymmetric same', inChannels: 2, outChannels: 6, inH: 6, inW: 5, kernel: [2, 2], pad: [0, 1, 0, 1] },
  { name: 'padded strided', inChannels: 5, outChannels: 3, inH: 9, inW: 8, kernel: [3, 2], stride: [2, 3], pad: [1, 1, 2, 0] },
  { name: 'dilated', batch: 3, inChannels: 2, outChannels: 70, inH: 8, inW: 9, kernel: [2, 3], dilation: [2, 2], pad: [1, 0, 1, 1] },
  { name: '5x5 stride 2 pad 2', batch: 2, inChannels: 3, outChannels: 16, inH: 11, inW: 10, kernel: [5, 5], stride: [2, 2], pad: [2, 2, 2, 2] },
  { name: 'wide pad', inChannels: 1, outChannels: 2, inH: 3, inW: 3, kernel: [3, 3], pad: [3, 3, 3, 3] },
  { name: 'split over threads', batch: 4, inChannels: 16, outChannels: 40, inH: 12, inW: 12, kernel: [3, 3], pad: [1, 1, 1, 1] },
  { name: 'a batch of one split over threads', inChannels: 32, outChannels: 64, inH: 13, inW: 13, kernel: [3, 3] },
  { name: 'no input channels', inChannels: 0, outChannels: 3, inH: 3, inW: 3, kernel: [2, 2] },
];

test('qconv2d equals the js backend bit for bit for every geometry, requantization, kernel family and 1–2 threads', () => {
  const rand = seededRandom(31);
  const all = CONVS.flatMap((c) => (['uint8', 'float32'] as const).map((kind) => {
    const g: Conv2dGeometry = convGeometry(c);
    const k = g.kernelH * g.kernelW * g.inChannels;
    const x = bytes(g.batch * g.inH * g.inW * g.inChannels, rand);
    const zero = Math.floor(rand() * 256);
    const w = weights(g.outChannels * k, rand);
    const requant = makeRequant(kind, g.outChannels, k, rand);
    const out = makeOutput(requant, g.batch * g.outH * g.outW * g.outChannels + 5, rand);
    const want = out.slice();
    js.qconv2d(g, x, zero, js.packInt8(w, g.outChannels, k), requant, want);
    return { name: `${c.name} ${kind}`, g, x, zero, w: native.packInt8(w, g.outChannels, k), requant, out, want };
  }));
  forEachInt8Configuration((config) => {
    for (const { name, g, x, zero, w, requant, out, want } of all) {
      const got = out.slice();
      native.qconv2d(g, x, zero, w, requant, got);
      assert.deepEqual(got, want, `qconv2d ${name} (${config})`);
    }
  });
});

test('qconv2d refuses groups, weights of another shape and short arrays', () => {
  const g = convGeometry({ name: '', inChannels: 2, outChannels: 3, inH: 4, inW: 4, kernel: [3, 3] });
  const w = native.packInt8(new Int8Array(3 * 18), 3, 18);
  const requant: Requantization = { kind: 'uint8', bias: new Int32Array(3), scale: new Float32Array(3), zeroPoint: 0, min: 0, max: 255 };
  const x = new Uint8Array(32);
  const out = new Uint8Array(12);
  assert.throws(() => native.qconv2d({ ...g, groups: 2 }, x, 0, w, requant, out), /groups = 1/);
  assert.throws(() => native.qconv2d(g, x, 0, native.packInt8(new Int8Array(3 * 17), 3, 17), requant, out), /do not fit/);
  assert.throws(() => native.qconv2d(g, x.subarray(1), 0, w, requant, out), /x needs 32/);
  assert.throws(() => native.qconv2d(g, x, 0, w, requant, out.subarray(1)), /out needs 12/);
});

/** A convolution and the max pooling after it: kernel and stride of the pooling window. */
interface FusedConfig {
  conv: ConvConfig;
  pool: [number, number, number, number];
}

const FUSED: FusedConfig[] = [
  { conv: { name: 'conv1 + 2x2 pool (Cin 1, one group per kernel row)', batch: 3, inChannels: 1, outChannels: 32, inH: 28, inW: 28, kernel: [3, 3] }, pool: [2, 2, 2, 2] },
  { conv: { name: 'conv2 + 2x2 pool (odd conv output, last row and column unpooled)', batch: 2, inChannels: 32, outChannels: 64, inH: 13, inW: 13, kernel: [3, 3] }, pool: [2, 2, 2, 2] },
  { conv: { name: 'conv1 split over threads', batch: 16, inChannels: 1, outChannels: 32, inH: 28, inW: 28, kernel: [3, 3] }, pool: [2, 2, 2, 2] },
  { conv: { name: '70 channels, 3x3 windows stride 2', batch: 3, inChannels: 5, outChannels: 70, inH: 12, inW: 11, kernel: [3, 3] }, pool: [3, 3, 2, 2] },
  { conv: { name: '17 channels, overlapping 2x2 windows stride 1', inChannels: 3, outChannels: 17, inH: 9, inW: 8, kernel: [3, 3] }, pool: [2, 2, 1, 1] },
  { conv: { name: '33 channels, 3x3 windows stride 1', batch: 2, inChannels: 32, outChannels: 33, inH: 9, inW: 10, kernel: [3, 3], pad: [1, 1, 1, 1] }, pool: [3, 3, 1, 1] },
  { conv: { name: '5 channels, 2x1 windows', batch: 3, inChannels: 4, outChannels: 5, inH: 7, inW: 6, kernel: [2, 2] }, pool: [2, 1, 2, 1] },
  { conv: { name: '48 channels, 1x1 windows', inChannels: 2, outChannels: 48, inH: 5, inW: 5, kernel: [3, 3] }, pool: [1, 1, 1, 1] },
  { conv: { name: 'Cin 1 padded (borders take the zero point)', batch: 3, inChannels: 1, outChannels: 20, inH: 9, inW: 11, kernel: [3, 3], pad: [1, 1, 1, 1] }, pool: [2, 2, 2, 2] },
  { conv: { name: 'Cin 1 strided and padded', inChannels: 1, outChannels: 16, inH: 12, inW: 13, kernel: [3, 3], stride: [2, 2], pad: [1, 0, 2, 1] }, pool: [2, 2, 2, 2] },
  { conv: { name: 'Cin 1 dilated in height', batch: 2, inChannels: 1, outChannels: 7, inH: 11, inW: 9, kernel: [3, 3], dilation: [2, 1], pad: [0, 0, 1, 1] }, pool: [2, 2, 2, 2] },
  { conv: { name: 'Cin 1 dilated in width (the general unfolding)', inChannels: 1, outChannels: 9, inH: 9, inW: 12, kernel: [3, 3], dilation: [1, 2] }, pool: [2, 2, 2, 2] },
  { conv: { name: 'Cin 1, 2x4 kernel', batch: 2, inChannels: 1, outChannels: 3, inH: 8, inW: 9, kernel: [2, 4] }, pool: [2, 2, 2, 2] },
  { conv: { name: 'Cin 1, 5x5 kernel (the general unfolding)', inChannels: 1, outChannels: 6, inH: 12, inW: 12, kernel: [5, 5], pad: [2, 2, 2, 2] }, pool: [3, 3, 3, 3] },
  { conv: { name: 'padded strided dilated', batch: 2, inChannels: 3, outChannels: 19, inH: 13, inW: 12, kernel: [3, 2], stride: [2, 1], pad: [1, 2, 0, 1], dilation: [2, 2] }, pool: [2, 2, 2, 2] },
  { conv: { name: 'a batch of one split over threads', inChannels: 32, outChannels: 64, inH: 15, inW: 15, kernel: [3, 3] }, pool: [2, 2, 2, 2] },
  { conv: { name: 'no input channels', batch: 2, inChannels: 0, outChannels: 3, inH: 5, inW: 5, kernel: [2, 2] }, pool: [2, 2, 2, 2] },
  { conv: { name: 'conv output smaller than the window', inChannels: 2, outChannels: 3, inH: 3, inW: 4, kernel: [3, 3] }, pool: [2, 2, 2, 2] },
  { conv: { name: 'windows of over 1 MiB of patches (two passes)', inChannels: 114, outChannels: 3, inH: 34, inW: 34, kernel: [3, 3] }, pool: [32, 32, 32, 32] },
];

/** The geometry of a fused case: the pooling window's output is every whole window in the conv output. */
function fusedGeometry(c: FusedConfig): { g: Conv2dGeometry; pool: Parameters<typeof native.qconv2dMaxPool>[1] } {
  const g = convGeometry(c.conv);
  const [kernelH, kernelW, strideH, strideW] = c.pool;
  const windows = (size: number, kernel: number, stride: number): number => (size < kernel ? 0 : Math.floor((size - kernel) / stride) + 1);
  return { g, pool: { kernelH, kernelW, strideH, strideW, outH: windows(g.outH, kernelH, strideH), outW: windows(g.outW, kernelW, strideW) } };
}

test('qconv2dMaxPool equals the js backend bit for bit for every geometry, window, kernel family and 1–2 threads', () => {
  const rand = seededRandom(61);
  const all = FUSED.map((c) => {
    const { g, pool } = fusedGeometry(c);
    const k = g.kernelH * g.kernelW * g.inChannels;
    const x = bytes(g.batch * g.inH * g.inW * g.inChannels, rand);
    const zero = Math.floor(rand() * 256);
    const w = weights(g.outChannels * k, rand);
    const requant = makeRequant('uint8', g.outChannels, k, rand) as Requantization & { kind: 'uint8' };
    const out = bytes(g.batch * pool.outH * pool.outW * g.outChannels + 5, rand);
    const want = out.slice();
    js.qconv2dMaxPool(g, pool, x, zero, js.packInt8(w, g.outChannels, k), requant, want);
    return { name: c.conv.name, g, pool, x, zero, w: native.packInt8(w, g.outChannels, k), requant, out, want };
  });
  forEachInt8Configuration((config) => {
    for (const { name, g, pool, x, zero, w, requant, out, want } of all) {
      const got = out.slice();
      native.qconv2dMaxPool(g, pool, x, zero, w, requant, got);
      assert.deepEqual(got, want, `qconv2dMaxPool ${name} (${config})`);
    }
  });
});

test('qconv2dMaxPool with a fused ReLU (min = zeroPoint) equals the js backend on the reference CNN\'s layers', () => {
  const rand = seededRandom(62);
  const all = [FUSED[0]!, FUSED[1]!].map((c) => {
    const { g, pool } = fusedGeometry(c);
    const k = g.kernelH * g.kernelW * g.inChannels;
    const x = bytes(g.batch * g.inH * g.inW * g.inChannels, rand);
    const w = weights(g.outChannels * k, rand);
    // Half the sums below the zero point, so that the clamp decides many windows.
    const requant = { ...makeRequant('uint8', g.outChannels, k, rand), zeroPoint: 9, min: 9, max: 255 } as Requantization & { kind: 'uint8' };
    const want = new Uint8Array(g.batch * pool.outH * pool.outW * g.outChannels);
    js.qconv2dMaxPool(g, pool, x, 0, js.packInt8(w, g.outChannels, k), requant, want);
    return { name: c.conv.name, g, pool, x, w: native.packInt8(w, g.outChannels, k), requant, want };
  });
  forEachInt8Configuration((config) => {
    for (const { name, g, pool, x, w, requant, want } of all) {
      const got = new Uint8Array(want.length);
      native.qconv2dMaxPool(g, pool, x, 0, w, requant, got);
      assert.deepEqual(got, want, `qconv2dMaxPool ${name} (${config})`);
    }
  });
});

test('qconv2dMaxPool with zero, negative, NaN or infinite scales equals the unfused composition', () => {
  const rand = seededRandom(63);
  const special = [0, -0, -0.003, -1e-5, NaN, Infinity, -Infinity];
  const c = FUSED[3]!;
  const { g, pool } = fusedGeometry(c);
  const k = g.kernelH * g.kernelW * g.inChannels;
  const x = bytes(g.batch * g.inH * g.inW * g.inChannels, rand);
  const w = weights(g.outChannels * k, rand);
  const base = makeRequant('uint8', g.outChannels, k, rand) as Requantization & { kind: 'uint8' };
  // Biases that cancel some sums exactly, so that an infinite scale meets acc + bias = 0.
  const bias = Int32Array.from(base.bias, (b, j) => (j % 2 === 0 ? 0 : b));
  const cases = special.map((value) => {
    const scale = base.scale.slice();
    for (let j = 0; j < scale.length; j += 3) scale[j] = value;
    const requant = { ...base, bias, scale, min: 0 };
    const want = new Uint8Array(g.batch * pool.outH * pool.outW * g.outChannels);
    js.qconv2dMaxPool(g, pool, x, 0, js.packInt8(w, g.outChannels, k), requant, want);
    return { value, requant, want };
  });
  const packed = native.packInt8(w, g.outChannels, k);
  forEachInt8Configuration((config) => {
    for (const { value, requant, want } of cases) {
      const got = new Uint8Array(want.length);
      native.qconv2dMaxPool(g, pool, x, 0, packed, requant, got);
      assert.deepEqual(got, want, `scale ${value} (${config})`);
    }
  });
});

test('qconv2dMaxPool shares the js backend\'s checks: windows, requantization and array lengths', () => {
  const { g, pool } = fusedGeometry({ conv: { name: '', inChannels: 2, outChannels: 3, inH: 7, inW: 7, kernel: [3, 3] }, pool: [2, 2, 2, 2] });
  const w = native.packInt8(new Int8Array(3 * 18), 3, 18);
  const requant: Requantization & { kind: 'uint8' } = { kind: 'uint8', bias: new Int32Array(3), scale: new Float32Array(3).fill(1), zeroPoint: 0, min: 0, max: 255 };
  const x = new Uint8Array(98);
  const out = new Uint8Array(12);
  native.qconv2dMaxPool(g, pool, x, 0, w, requant, out);
  assert.throws(() => native.qconv2dMaxPool(g, { ...pool, outH: 3 }, x, 0, w, requant, out), /pool outH must be 2/);
  assert.throws(() => native.qconv2dMaxPool(g, { ...pool, outW: 1 }, x, 0, w, requant, out), /pool outW must be 2/);
  assert.throws(() => native.qconv2dMaxPool(g, { ...pool, strideW: 0 }, x, 0, w, requant, out), /pool strideW must be an integer ≥ 1/);
  const float32: Requantization = { kind: 'float32', bias: new Int32Array(3), scale: new Float32Array(3), offset: null };
  assert.throws(() => native.qconv2dMaxPool(g, pool, x, 0, w, float32 as unknown as typeof requant, out), /must be uint8/);
  assert.throws(() => native.qconv2dMaxPool({ ...g, groups: 3 }, pool, x, 0, w, requant, out), /groups = 1/);
  assert.throws(() => native.qconv2dMaxPool(g, pool, x.subarray(1), 0, w, requant, out), /x needs 98/);
  assert.throws(() => native.qconv2dMaxPool(g, pool, x, 0, w, requant, out.subarray(1)), /out needs 12/);
  assert.throws(() => native.qconv2dMaxPool(g, pool, x, 0, js.packInt8(new Int8Array(3 * 18), 3, 18), requant, out), /packed by the js backend/);
});

const POOLS: PoolConfig[] = [
  { name: '2x2 (the CNN)', batch: 3, channels: 32, inH: 26, inW: 26, kernel: [2, 2], stride: [2, 2] },
  { name: '2x2 odd input', batch: 2, channels: 64, inH: 11, inW: 11, kernel: [2, 2], stride: [2, 2] },
  { name: 'padded 3x3', channels: 4, inH: 7, inW: 7, kernel: [3, 3], stride: [2, 2], pad: [1, 1] },
  { name: '3x3 stride 1 pad 1, 70 channels', batch: 2, channels: 70, inH: 5, inW: 6, kernel: [3, 3], stride: [1, 1], pad: [1, 1] },
  { name: 'ceil', batch: 2, channels: 3, inH: 5, inW: 6, kernel: [2, 3], stride: [2, 2], ceil: true },
  { name: 'ceil padded, 1 channel', channels: 1, inH: 8, inW: 7, kernel: [3, 3], stride: [2, 2], pad: [1, 1], ceil: true },
  { name: '130 channels', channels: 130, inH: 4, inW: 4, kernel: [2, 2], stride: [1, 1] },
  { name: 'split over threads', batch: 16, channels: 32, inH: 16, inW: 16, kernel: [2, 2], stride: [2, 2] },
];

/** A geometry whose last windows lie beyond the padded input, which the checks allow and no caller makes. */
const BEYOND: Pool2dGeometry = { ...poolGeometry({ name: '', batch: 1, channels: 3, inH: 4, inW: 4, kernel: [2, 2], stride: [2, 2] }), outH: 4, outW: 3 };

test('qmaxPool2d and qavgPool2d equal the js backend bit for bit, every kernel family and 1–2 threads', () => {
  const rand = seededRandom(41);
  const all = [...POOLS.map((c) => ({ name: c.name, g: poolGeometry(c) })), { name: 'beyond the input', g: BEYOND }].map(({ name, g }) => {
    const x = bytes(g.batch * g.inH * g.inW * g.channels, rand);
    const outSize = g.batch * g.outH * g.outW * g.channels + 3;
    const zero = Math.floor(rand() * 256);
    const max = bytes(outSize, rand);
    const wantMax = max.slice();
    js.qmaxPool2d(g, x, wantMax);
    const avg = [true, false].map((include) => {
      const out = bytes(outSize, rand);
      const want = out.slice();
      js.qavgPool2d(g, include, zero, x, want);
      return { include, out, want };
    });
    return { name, g, x, zero, max, wantMax, avg };
  });
  forEachInt8Configuration((config) => {
    for (const { name, g, x, zero, max, wantMax, avg } of all) {
      const got = max.slice();
      native.qmaxPool2d(g, x, got);
      assert.deepEqual(got, wantMax, `qmaxPool2d ${name} (${config})`);
      for (const { include, out, want } of avg) {
        const gotAvg = out.slice();
        native.qavgPool2d(g, include, zero, x, gotAvg);
        assert.deepEqual(gotAvg, want, `qavgPool2d ${name} countIncludePad=${include} (${config})`);
      }
    }
  });
});

const SHAPES: ChannelsLastShape[] = [
  { batch: 2, channels: 3, plane: 5 },
  { batch: 1, channels: 1, plane: 1000 },
  { batch: 3, channels: 70, plane: 1 },
  { batch: 2, channels: 17, plane: 33 },
  { batch: 1, channels: 5000, plane: 4 },
  { batch: 1, channels: 1, plane: 200_000 },
  { batch: 2, channels: 3, plane: 40_000 },
];

/**
 * Values for quantize: uniform ones, and ones on either side of a rounding tie of x / scale (where a
 * multiplication by 1 / scale would round the other way), and the special values.
 */
function quantizeInput(size: number, scale: number, rand: () => number): Float32Array {
  const special = [NaN, Infinity, -Infinity, 1e30, -1e30, 3e38, -0, 0, 1e-45, -1e-40];
  const x = new Float32Array(size);
  // x's bits, to step a tie to its neighbours.
  const bits = new Int32Array(x.buffer);
  const s = Math.fround(scale);
  for (let i = 0; i < size; i++) {
    const r = rand();
    if (r < 0.05) {
      x[i] = pick(special, rand);
    } else if (r < 0.5) {
      x[i] = (Math.floor(rand() * 400) - 200 + 0.5) * s;
      bits[i]! += Math.floor(rand() * 3) - 1;
    } else {
      x[i] = (rand() - 0.5) * 300 * s;
    }
  }
  return x;
}

test('quantize and dequantize equal the js backend bit for bit in both layouts, every kernel family and 1–2 threads', () => {
  const rand = seededRandom(51);
  // The large shapes (split over threads) with two of the scales only, to keep the js reference quick.
  const all = SHAPES.flatMap((shape) => (shape.plane > 10_000 ? [0.1, 0.25] : [1 / 255, 0.1, 0.25, 3.7, 1e-38]).map((scale) => {
    const size = shape.batch * shape.channels * shape.plane;
    const zero = pick([0, 7, 128, 255], rand);
    const x = quantizeInput(size, scale, rand);
    const q = bytes(size + 2, rand);
    const wantQ = q.slice();
    js.quantize(shape, x, scale, zero, wantQ);
    const back = Float32Array.from({ length: size + 2 }, () => rand());
    const wantBack = back.slice();
    js.dequantize(shape, wantQ, scale, zero, wantBack);
    return { name: `${JSON.stringify(shape)} scale ${scale} zero ${zero}`, shape, scale, zero, x, q, wantQ, back, wantBack };
  }));
  forEachInt8Configuration((config) => {
    for (const { name, shape, scale, zero, x, q, wantQ, back, wantBack } of all) {
      const gotQ = q.slice();
      native.quantize(shape, x, scale, zero, gotQ);
      assert.deepEqual(gotQ, wantQ, `quantize ${name} (${config})`);
      const gotBack = back.slice();
      native.dequantize(shape, wantQ, scale, zero, gotBack);
      assert.deepEqual(gotBack, wantBack, `dequantize ${name} (${config})`);
    }
  });
});

test('quantize and dequantize share the js backend\'s argument checks', () => {
  const shape = { batch: 1, channels: 2, plane: 2 };
  assert.throws(() => native.quantize(shape, new Float32Array(4), 0, 0, new Uint8Array(4)), /scale must be a positive finite number/);
  assert.throws(() => native.quantize(shape, new Float32Array(4), 1, 256, new Uint8Array(4)), /zeroPoint must be in \[0, 255\]/);
  assert.throws(() => native.dequantize(shape, new Uint8Array(3), 1, 0, new Float32Array(4)), /needs 4 values/);
});
