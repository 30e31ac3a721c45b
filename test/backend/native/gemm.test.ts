import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { GemmArgs, PackedMatrix } from '../../../src/backend/backend.js';
import { gemm as jsGemm, packB as jsPackB } from '../../../src/backend/js/gemm.js';
import { BackendError } from '../../../src/errors.js';
import { assertClose, randomArray, seededRandom, type FloatArrayConstructor } from '../../helpers/arrays.js';
import { forEachConfiguration, nativeBackend } from './native.js';
import { GEMM_SCALARS, GEMM_SIZES, GEMM_TRANS, makeGemmArgs, type GemmCase } from '../../helpers/kernel-cases.js';
const native = nativeBackend();

/**
 * Shapes past the native blocking in every direction: register tiles (8×32, 6×16, 4×8), row blocks
 * (120–128), k-blocks (256) and column blocks (1024), and big enough to be split over threads.
 */
const LARGE: [number, number, number][] = [
  [130, 9, 300],
  [5, 70, 513],
  [257, 3, 17],
  [129, 131, 257],
  [200, 1100, 40],
  [300, 45, 600],
  [64, 1030, 260],
  [1, 2100, 70],
];

function* cases(rand: () => number): Generator<GemmCase> {
  for (const m of GEMM_SIZES) {
    for (const n of GEMM_SIZES) {
      for (const k of GEMM_SIZES) {
        const [transA, transB] = GEMM_TRANS[Math.floor(rand() * GEMM_TRANS.length)]!;
        const [alpha, beta] = GEMM_SCALARS[Math.floor(rand() * GEMM_SCALARS.length)]!;
        yield { m, n, k, transA, transB, alpha, beta };
      }
    }
  }
  for (const [m, n, k] of LARGE) {
    for (const [transA, transB] of GEMM_TRANS) yield { m, n, k, transA, transB, alpha: 1.25, beta: 0.5 };
  }
}

/** Float32 cases with the js backend's results (computed once; every configuration must match them). */
function float32Cases(seed: number): { c: GemmCase; args: GemmArgs; want: FloatArrayConstructor['prototype'] }[] {
  const rand = seededRandom(seed);
  return [...cases(rand)].map((c) => {
    const args = makeGemmArgs(Float32Array, c, rand);
    const want = args.c.slice();
    jsGemm({ ...args, c: want });
    return { c, args, want };
  });
}

test('gemm matches the js backend on ragged shapes, for every kernel family and thread count', () => {
  const all = float32Cases(11);
  forEachConfiguration(native, (config) => {
    for (const { c, args, want } of all) {
      const got = args.c.slice();
      native.gemm({ ...args, c: got });
      assertClose(got, want, 1e-5, `gemm ${JSON.stringify(c)} (${config})`);
    }
  });
});

test('gemmPacked matches the js backend on ragged shapes, for every kernel family and thread count', () => {
  const all = float32Cases(12);
  forEachConfiguration(native, (config) => {
    for (const { c, args, want } of all) {
      const packed = native.packB(args.b, args.bOffset, args.ldb, args.transB, c.k, c.n);
      assert.equal(packed.backend, 'native');
      assert.equal(packed.k, c.k);
      assert.equal(packed.n, c.n);
      const got = args.c.slice();
      native.gemmPacked({ ...args, b: packed, c: got });
      assertClose(got, want, 1e-5, `gemmPacked ${JSON.stringify(c)} (${config})`);
    }
  });
});

test('the bias and ReLU epilogue matches the js backend, for every kernel family and thread count', () => {
  const rand = seededRandom(21);
  const all = [...cases(rand)].flatMap((c) =>
    (['none', 'relu'] as const).map((activation) => {
      const args = { ...makeGemmArgs(Float32Array, c, rand), bias: randomArray(Float32Array, c.n, rand), activation };
      const want = args.c.slice();
      jsGemm({ ...args, c: want });
      return { c, args, want };
    }),
  );
  forEachConfiguration(native, (config) => {
    for (const { c, args, want } of all) {
      const got = args.c.slice();
      native.gemm({ ...args, c: got });
      assertClose(got, want, 1e-5, `gemm ${JSON.stringify(c)}, ${args.activation} (${config})`);
      const packed = native.packB(args.b, args.bOffset, args.ldb, args.transB, c.k, c.n);
      const packedGot = args.c.slice();
      native.gemmPacked({ ...args, b: packed, c: packedGot });
      assertClose(packedGot, want, 1e-5, `gemmPacked ${JSON.stringify(c)}, ${args.activation} (${config})`);
    }
  });
});

test('products of a few rows by a transposed B (read in place, without packing) match the js backend', () => {
  const rand = seededRandom(22);
  const all: { c: GemmCase; args: GemmArgs; want: Float32Array }[] = [];
  // Depths around the vector widths, widths around the row blocks, and a B large enough to be split.
  const shapes: [number, number][] = [[1, 1], [7, 15], [8, 16], [9, 17], [130, 33], [5, 1601], [1030, 1030]];
  for (const m of [1, 2, 3, 4, 5]) {
    for (const [n, k] of shapes) {
      for (const transA of [false, true]) {
        const c = { m, n, k, transA, transB: true, alpha: m === 2 ? -0.75 : 1, beta: m === 3 ? 0.5 : 0 };
        const args = { ...makeGemmArgs(Float32Array, c, rand), bias: m === 4 ? randomArray(Float32Array, n, rand) : null, activation: m === 1 ? ('relu' as const) : ('none' as const) };
        const want = args.c.slice() as Float32Array;
        jsGemm({ ...args, c: want });
        all.push({ c, args, want });
      }
    }
  }
  forEachConfiguration(native, (config) => {
    for (const { c, args, want } of all) {
      const got = args.c.slice();
      native.gemm({ ...args, c: got });
      assertClose(got, want, 1e-5, `gemm ${JSON.stringify(c)} (${config})`);
    }
  });
});

test('the ReLU epilogue keeps NaN and turns −0 into +0, as the js backend', () => {
  forEachConfiguration(native, (config) => {
    for (const m of [1, 9]) {
      // C = −1 · A · Bᵀ with every row of A [1] and Bᵀ [NaN, 0, 2, −3]: NaN, −0, −2, 3 before the ReLU.
      const args = {
        m, n: 4, k: 1, a: new Float32Array(m).fill(1), aOffset: 0, lda: 1, transA: false,
        b: new Float32Array([NaN, 0, 2, -3]), bOffset: 0, ldb: 1, transB: true, cOffset: 0, ldc: 4,
        alpha: -1, beta: 0, activation: 'relu' as const,
      };
      const got = new Float32Array(4 * m);
      native.gemm({ ...args, c: got });
      for (let i = 0; i < m; i++) {
        const row = got.subarray(4 * i, 4 * i + 4);
        assert.ok(Number.isNaN(row[0]) && Object.is(row[1], 0) && row[2] === 0 && row[3] === 3, `row ${i}: ${[...row]} (m ${m}, ${config})`);
      }
    }
  });
});

test('a packed matrix keeps the kernel family it was packed for', () => {
  const rand = seededRandom(13);
  const args = makeGemmArgs(Float32Array, { m: 37, n: 45, k: 29, transA: false, transB: true, alpha: 1, beta: 0 }, rand);
  const want = args.c.slice();
  jsGemm({ ...args, c: want });
  const isa = native.isa;
  try {
    for (const packedFor of native.isas) {
      native.setIsa(packedFor);
      const packed = native.packB(args.b, args.bOffset, args.ldb, true, 29, 45);
      for (const runWith of native.isas) {
        native.setIsa(runWith);
        const got = args.c.slice();
        native.gemmPacked({ ...args, b: packed, c: got });
        assertClose(got, want, 1e-5, `packed for ${packedFor}, run with ${runWith}`);
      }
    }
  } finally {
    native.setIsa(isa);
  }
});

test('packB copies B, so a packed matrix survives changes to it and can be reused', () => {
  const rand = seededRandom(14);
  const args = makeGemmArgs(Float32Array, { m: 7, n: 40, k: 300, transA: false, transB: false, alpha: 1, beta: 0 }, rand);
  const packed = native.packB(args.b, args.bOffset, args.ldb, false, 300, 40);
  const want = args.c.slice();
  jsGemm({ ...args, c: want });
  args.b.fill(0);
  for (let round = 0; round < 2; round++) {
    const got = args.c.slice();
    native.gemmPacked({ ...args, b: packed, c: got });
    assertClose(got, want, 1e-5, `round ${round}`);
  }
});

test('beta = 0 overwrites NaN in C; alpha = 0 and k = 0 scale C by beta without reading A or B', () => {
  const rand = seededRandom(15);
  forEachConfiguration(native, (config) => {
    const args = makeGemmArgs(Float32Array, { m: 70, n: 90, k: 40, transA: false, transB: true, alpha: 1, beta: 0 }, rand);
    args.c.fill(NaN);
    const want = new Float32Array(args.c.length).fill(NaN);
    jsGemm({ ...args, c: want });
    native.gemm(args);
    assertClose(args.c, want, 1e-5, `beta 0 (${config})`);
    for (let i = 0; i < 70; i++) {
      for (let j = 0; j < 90; j++) assert.ok(!Number.isNaN(args.c[args.cOffset + i * args.ldc + j]), config);
    }
    for (const beta of [0, 1, -2.5]) {
      for (const zero of [{ k: 0, alpha: 1 }, { k: 5, alpha: 0 }]) {
        const scaled = makeGemmArgs(Float32Array, { m: 9, n: 11, transA: true, transB: false, beta, ...zero }, rand);
        // NaN in A and B must not leak into C: they are not read.
        scaled.a.fill(NaN);
        scaled.b.fill(NaN);
        const scaledWant = scaled.c.slice();
        jsGemm({ ...scaled, c: scaledWant });
        native.gemm(scaled);
        assertClose(scaled.c, scaledWant, 0, `beta ${beta}, ${JSON.stringify(zero)} (${config})`);
      }
    }
  });
});

test('m = 0 and n = 0 leave C untouched', () => {
  const c = new Float32Array([7, 8, 9]);
  const base = { aOffset: 0, bOffset: 0, cOffset: 0, transA: false, transB: false, alpha: 1, beta: 0 };
  native.gemm({ ...base, m: 0, n: 3, k: 2, a: new Float32Array(0), lda: 2, b: new Float32Array(6), ldb: 3, c, ldc: 3 });
  native.gemm({ ...base, m: 3, n: 0, k: 2, a: new Float32Array(6), lda: 2, b: new Float32Array(0), ldb: 0, c, ldc: 0 });
  assert.deepEqual([...c], [7, 8, 9]);
});

test('operands that are views into larger buffers are used in place', () => {
  const rand = seededRandom(16);
  const args = makeGemmArgs(Float32Array, { m: 33, n: 65, k: 17, transA: true, transB: false, alpha: 1, beta: 1 }, rand);
  const want = args.c.slice();
  jsGemm({ ...args, c: want });
  // The same data seen through subarrays that start 3 elements into their buffers.
  const view = (x: Float32Array): Float32Array => {
    const buffer = new Float32Array(x.length + 3);
    buffer.set(x, 3);
    return buffer.subarray(3);
  };
  const c = view(args.c as Float32Array);
  native.gemm({ ...args, a: view(args.a as Float32Array), b: view(args.b as Float32Array), c });
  assertClose(c, want, 1e-5, 'views');
});

test('float64 and mixed-precision products run on the js kernels, with identical results', () => {
  const rand = seededRandom(17);
  for (const c of [
    { m: 9, n: 11, k: 13, transA: true, transB: false, alpha: 1, beta: 1 },
    { m: 130, n: 9, k: 300, transA: false, transB: true, alpha: -0.75, beta: 0.5 },
  ]) {
    const args = makeGemmArgs(Float64Array, c, rand);
    const want = args.c.slice();
    jsGemm({ ...args, c: want });
    const got = args.c.slice();
    native.gemm({ ...args, c: got });
    assert.deepEqual(got, want);
    const mixed = { ...args, a: Float32Array.from(args.a), c: Float32Array.from(args.c) };
    const mixedWant = mixed.c.slice();
    jsGemm({ ...mixed, c: mixedWant });
    native.gemm(mixed);
    assert.deepEqual(mixed.c, mixedWant);
    const packed = native.packB(args.b, args.bOffset, args.ldb, args.transB, c.k, c.n);
    assert.equal(packed.backend, 'native');
    const packedGot = args.c.slice();
    native.gemmPacked({ ...args, b: packed, c: packedGot });
    assert.deepEqual(packedGot, want);
  }
});

test('gemmPacked rejects matrices packed by another backend, and float64 A with float32-packed B', () => {
  const rand = seededRandom(18);
  const args = makeGemmArgs(Float32Array, { m: 2, n: 2, k: 2, transA: false, transB: false, alpha: 1, beta: 0 }, rand);
  const foreign: PackedMatrix[] = [{ backend: 'wasm', k: 2, n: 2 }, jsPackB(args.b, args.bOffset, args.ldb, false, 2, 2)];
  for (const b of foreign) {
    assert.throws(
      () => native.gemmPacked({ ...args, b }),
      (e: unknown) => e instanceof BackendError && e.message.includes(`packed by the '${b.backend}' backend`),
    );
  }
  const packed = native.packB(args.b, args.bOffset, args.ldb, false, 2, 2);
  assert.throws(
    () => native.gemmPacked({ ...args, a: Float64Array.from(args.a), b: packed }),
    (e: unknown) => e instanceof BackendError && /packed from float32 data/.test(e.message) && /Float64Array A/.test(e.message),
  );
});

test('gemm rejects operands too small for their shape, with the js messages', () => {
  const base = {
    m: 3,
    n: 3,
    k: 3,
    a: new Float32Array(9),
    aOffset: 0,
    lda: 3,
    transA: false,
    b: new Float32Array(9),
    bOffset: 0,
    ldb: 3,
    transB: false,
    c: new Float32Array(9),
    cOffset: 0,
    ldc: 3,
    alpha: 1,
    beta: 0,
  };
  assert.throws(() => native.gemm({ ...base, aOffset: 1 }), /A .* needs 10 elements, has 9/);
  assert.throws(() => native.gemm({ ...base, ldb: 2 }), /leading dimension of B/);
  assert.throws(() => native.gemm({ ...base, c: new Float32Array(8) }), /C .* needs 9 elements/);
  assert.throws(() => native.gemm({ ...base, k: -1 }), /k must be a non-negative integer/);
  assert.throws(() => native.gemm({ ...base, m: 1.5 }), /m must be a non-negative integer, got 1.5/);
  assert.throws(() => native.gemm({ ...base, bias: new Float32Array(2) }), /bias has 2 elements, needs 3/);
  assert.throws(() => native.packB(new Float32Array(5), 0, 3, true, 3, 2), /B .* needs 6 elements/);
  const packed = native.packB(new Float32Array(9), 0, 3, false, 3, 3);
  assert.throws(() => native.gemmPacked({ ...base, b: packed, c: new Float32Array(8) }), /C .* needs 9 elements/);
});

test('gemmAsync matches gemm and leaves the event loop free while it runs', async () => {
  const rand = seededRandom(19);
  const size = 768;
  const args = makeGemmArgs(Float32Array, { m: size, n: size, k: size, transA: false, transB: true, alpha: 1, beta: 0 }, rand);
  const want = args.c.slice();
  native.gemm({ ...args, c: want });
  const got = args.c.slice();
  let settled = false;
  let turns = 0;
  const promise = native.gemmAsync({ ...args, c: got }).then(() => {
    settled = true;
  });
  // Were the product computed on this thread, it would be done before the event loop turned once.
  await Promise.resolve();
  assert.equal(settled, false, 'the promise settles only after the event loop has run');
  const spin = (): void => {
    turns++;
    if (!settled) setImmediate(spin);
  };
  setImmediate(spin);
  await promise;
  assert.ok(turns > 0, 'the event loop turned while the product ran');
  assertClose(got, want, 1e-5, 'gemmAsync');
});

test('gemmAsync and gemm can run at the same time', async () => {
  const rand = seededRandom(20);
  const jobs = Array.from({ length: 4 }, () => {
    const args = makeGemmArgs(Float32Array, { m: 300, n: 260, k: 280, transA: true, transB: false, alpha: 1, beta: 0 }, rand);
    const want = args.c.slice();
    jsGemm({ ...args, c: want });
    return { args, want };
  });
  const pending = jobs.slice(0, 3).map(({ args }) => native.gemmAsync(args));
  const [last] = jobs.slice(3);
  native.gemm(last!.args);
  await Promise.all(pending);
  for (const [i, { args, want }] of jobs.entries()) assertClose(args.c, want, 1e-5, `job ${i}`);
});

test('gemmAsync rejects bad arguments and runs float64 products on the js kernels', async () => {
  const c = new Float32Array(4);
  const bad = {
    m: 2, n: 2, k: 2, a: new Float32Array(3), aOffset: 0, lda: 2, transA: false,
    b: new Float32Array(4), bOffset: 0, ldb: 2, transB: false, c, cOffset: 0, ldc: 2, alpha: 1, beta: 0,
  };
  await assert.rejects(native.gemmAsync(bad), /A .* needs 4 elements, has 3/);
  const f64 = { ...bad, a: new Float64Array([1, 2, 3, 4]), b: new Float64Array([1, 0, 0, 1]), c: new Float64Array(4) };
  await native.gemmAsync(f64);
  assert.deepEqual([...f64.c], [1, 2, 3, 4]);
});
