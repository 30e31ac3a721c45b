import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { GemmArgs, PackedMatrix } from '../../../src/backend/backend.js';
import { gemm, gemmPacked, packB } from '../../../src/backend/js/gemm.js';
import { assertClose, randomArray, seededRandom, tolerance } from '../../helpers/arrays.js';
import { GEMM_SCALARS, GEMM_SIZES, GEMM_TRANS, makeGemmArgs, type GemmCase } from '../../helpers/kernel-cases.js';
/** The definition: C[i][j] = alpha · Σ_p op(A)[i][p] · op(B)[p][j] + beta · C[i][j], with beta = 0 ignoring C. */
function naiveGemm(g: GemmArgs): void {
  for (let i = 0; i < g.m; i++) {
    for (let j = 0; j < g.n; j++) {
      let sum = 0;
      for (let p = 0; p < g.k; p++) {
        const a = g.transA ? g.a[g.aOffset + p * g.lda + i] : g.a[g.aOffset + i * g.lda + p];
        const b = g.transB ? g.b[g.bOffset + j * g.ldb + p] : g.b[g.bOffset + p * g.ldb + j];
        sum += a * b;
      }
      const ci = g.cOffset + i * g.ldc + j;
      g.c[ci] = g.beta === 0 ? g.alpha * sum : g.alpha * sum + g.beta * g.c[ci];
    }
  }
}


function* cases(rand: () => number): Generator<GemmCase> {
  for (const m of GEMM_SIZES) {
    for (const n of GEMM_SIZES) {
      for (const k of GEMM_SIZES) {
        const [transA, transB] = GEMM_TRANS[Math.floor(rand() * GEMM_TRANS.length)];
        const [alpha, beta] = GEMM_SCALARS[Math.floor(rand() * GEMM_SCALARS.length)];
        yield { m, n, k, transA, transB, alpha, beta };
      }
    }
  }
  // Past the kernel's k-block (256) and row-block (128) sizes, in every transposition.
  for (const [m, n, k] of [
    [130, 9, 300],
    [5, 70, 513],
    [257, 3, 17],
    [129, 131, 257],
  ]) {
    for (const [transA, transB] of GEMM_TRANS) yield { m, n, k, transA, transB, alpha: 1.25, beta: 0.5 };
  }
}

for (const type of [Float32Array, Float64Array]) {
  test(`gemm matches the definition on ragged shapes (${type.name})`, () => {
    const rand = seededRandom(type === Float32Array ? 1 : 2);
    for (const c of cases(rand)) {
      const args = makeGemmArgs(type, c, rand);
      const want = args.c.slice();
      naiveGemm({ ...args, c: want });
      gemm(args);
      assertClose(args.c, want, tolerance(type), `gemm ${JSON.stringify(c)}`);
    }
  });

  test(`gemmPacked matches the definition on ragged shapes (${type.name})`, () => {
    const rand = seededRandom(type === Float32Array ? 3 : 4);
    for (const c of cases(rand)) {
      const args = makeGemmArgs(type, c, rand);
      const want = args.c.slice();
      naiveGemm({ ...args, c: want });
      const packed = packB(args.b, args.bOffset, args.ldb, args.transB, c.k, c.n);
      assert.equal(packed.backend, 'js');
      assert.equal(packed.k, c.k);
      assert.equal(packed.n, c.n);
      gemmPacked({ ...args, b: packed });
      assertClose(args.c, want, tolerance(type), `gemmPacked ${JSON.stringify(c)}`);
    }
  });

  test(`gemm with k = 0 scales C by beta (${type.name})`, () => {
    const rand = seededRandom(5);
    for (const beta of [0, 1, -2.5]) {
      const args = makeGemmArgs(type, { m: 5, n: 7, k: 0, transA: false, transB: false, alpha: 1, beta }, rand);
      const want = args.c.slice();
      naiveGemm({ ...args, c: want });
      gemm(args);
      assertClose(args.c, want, 0, `beta ${beta}`);
      const packedArgs = makeGemmArgs(type, { m: 5, n: 7, k: 0, transA: true, transB: false, alpha: 1, beta }, rand);
      const packedWant = packedArgs.c.slice();
      naiveGemm({ ...packedArgs, c: packedWant });
      gemmPacked({ ...packedArgs, b: packB(packedArgs.b, 0, 7, false, 0, 7) });
      assertClose(packedArgs.c, packedWant, 0, `packed beta ${beta}`);
    }
  });

  test(`gemm with beta = 0 overwrites NaN in C (${type.name})`, () => {
    const rand = seededRandom(6);
    const args = makeGemmArgs(type, { m: 6, n: 9, k: 4, transA: false, transB: true, alpha: 1, beta: 0 }, rand);
    for (let i = 0; i < 6; i++) args.c.fill(NaN, args.cOffset + i * args.ldc, args.cOffset + i * args.ldc + 9);
    const want = args.c.slice();
    naiveGemm({ ...args, c: want });
    gemm(args);
    assertClose(args.c, want, tolerance(type), 'gemm');
    for (let i = 0; i < 6; i++) {
      for (let j = 0; j < 9; j++) assert.ok(!Number.isNaN(args.c[args.cOffset + i * args.ldc + j]));
    }
    const zeroK = makeGemmArgs(type, { m: 2, n: 2, k: 0, transA: false, transB: false, alpha: 1, beta: 0 }, rand);
    zeroK.c.fill(NaN);
    zeroK.cOffset = 0;
    zeroK.ldc = 2;
    gemm(zeroK);
    assert.deepEqual([...zeroK.c.subarray(0, 4)], [0, 0, 0, 0]);
  });
}

/** The epilogue by its definition: C[i][j] = act(C[i][j] + bias[j]), relu keeping NaN and making −0 +0. */
function naiveEpilogue(g: GemmArgs): void {
  for (let i = 0; i < g.m; i++) {
    for (let j = 0; j < g.n; j++) {
      const ci = g.cOffset + i * g.ldc + j;
      const v = g.bias ? g.c[ci]! + g.bias[j]! : g.c[ci]!;
      g.c[ci] = g.activation === 'relu' ? (Number.isNaN(v) ? v : Math.max(v, 0) + 0) : v;
    }
  }
}

for (const type of [Float32Array, Float64Array]) {
  test(`gemm and gemmPacked add a bias and apply ReLU after the product (${type.name})`, () => {
    const rand = seededRandom(type === Float32Array ? 7 : 8);
    for (const c of cases(rand)) {
      for (const [withBias, activation] of [[true, 'none'], [false, 'relu'], [true, 'relu']] as const) {
        const args = makeGemmArgs(type, c, rand);
        const bias = withBias ? randomArray(type, c.n, rand) : null;
        const want = args.c.slice();
        naiveGemm({ ...args, c: want });
        naiveEpilogue({ ...args, c: want, bias, activation });
        const got = args.c.slice();
        gemm({ ...args, c: got, bias, activation });
        assertClose(got, want, tolerance(type), `gemm ${JSON.stringify(c)}, bias ${withBias}, ${activation}`);
        const packed = packB(args.b, args.bOffset, args.ldb, args.transB, c.k, c.n);
        const packedGot = args.c.slice();
        gemmPacked({ ...args, b: packed, c: packedGot, bias, activation });
        assertClose(packedGot, want, tolerance(type), `gemmPacked ${JSON.stringify(c)}, bias ${withBias}, ${activation}`);
      }
    }
  });
}

test('the ReLU epilogue keeps NaN and turns −0 into +0; with k = 0 it acts on beta · C + bias', () => {
  const base = { m: 1, n: 4, k: 1, aOffset: 0, lda: 1, transA: false, bOffset: 0, ldb: 4, transB: false, cOffset: 0, ldc: 4 };
  const c = new Float32Array(4);
  gemm({ ...base, a: new Float32Array([1]), b: new Float32Array([NaN, -0, -2, 3]), c, alpha: 1, beta: 0, activation: 'relu' });
  assert.ok(Number.isNaN(c[0]));
  assert.ok(Object.is(c[1], 0));
  assert.deepEqual([...c.subarray(2)], [0, 3]);
  const scaled = new Float32Array([1, -1, 2, -2]);
  gemm({ ...base, k: 0, a: new Float32Array(0), b: new Float32Array(0), c: scaled, alpha: 1, beta: 2, bias: new Float32Array([0, 3, -5, 0]), activation: 'relu' });
  assert.deepEqual([...scaled], [2, 1, 0, 0]);
  assert.throws(() => gemm({ ...base, a: new Float32Array([1]), b: new Float32Array(4), c, alpha: 1, beta: 0, bias: new Float32Array(3) }), /bias has 3 elements, needs 4/);
});

test('gemm handles m = 0 and n = 0 without touching C', () => {
  const c = new Float64Array([7, 8, 9]);
  const base = { aOffset: 0, bOffset: 0, cOffset: 0, transA: false, transB: false, alpha: 1, beta: 0 };
  gemm({ ...base, m: 0, n: 3, k: 2, a: new Float64Array(0), lda: 2, b: new Float64Array(6), ldb: 3, c, ldc: 3 });
  gemm({ ...base, m: 3, n: 0, k: 2, a: new Float64Array(6), lda: 2, b: new Float64Array(0), ldb: 0, c, ldc: 0 });
  assert.deepEqual([...c], [7, 8, 9]);
});

test('gemm accepts operands of different precisions and rounds into C', () => {
  const rand = seededRandom(7);
  const args = makeGemmArgs(Float64Array, { m: 9, n: 11, k: 13, transA: true, transB: false, alpha: 1, beta: 1 }, rand);
  const mixed = { ...args, a: Float32Array.from(args.a), c: Float32Array.from(args.c) };
  const want = Float64Array.from(mixed.c);
  naiveGemm({ ...mixed, c: want });
  gemm(mixed);
  assertClose(mixed.c, Float32Array.from(want), 1e-6, 'mixed');
});

test('packB copies B, so a packed matrix survives changes to it and can be reused', () => {
  const rand = seededRandom(8);
  const args = makeGemmArgs(Float64Array, { m: 7, n: 5, k: 6, transA: false, transB: false, alpha: 1, beta: 0 }, rand);
  const packed = packB(args.b, args.bOffset, args.ldb, false, 6, 5);
  const want = args.c.slice();
  naiveGemm({ ...args, c: want });
  const originalB = args.b.slice();
  args.b.fill(0);
  for (let round = 0; round < 2; round++) {
    gemmPacked({ ...args, b: packed });
    assertClose(args.c, want, 1e-12, `round ${round}`);
  }
  const other = makeGemmArgs(Float64Array, { m: 3, n: 5, k: 6, transA: true, transB: false, alpha: 2, beta: 0 }, rand);
  const otherWant = other.c.slice();
  naiveGemm({ ...other, b: originalB, bOffset: args.bOffset, ldb: args.ldb, c: otherWant });
  gemmPacked({ ...other, b: packed });
  assertClose(other.c, otherWant, 1e-12, 'another A');
});

test('gemmPacked rejects a matrix packed by another backend', () => {
  const foreign: PackedMatrix = { backend: 'wasm', k: 2, n: 2 };
  const args = {
    m: 2,
    a: new Float64Array(4),
    aOffset: 0,
    lda: 2,
    transA: false,
    b: foreign,
    c: new Float64Array(4),
    cOffset: 0,
    ldc: 2,
    alpha: 1,
    beta: 0,
  };
  assert.throws(() => gemmPacked(args), /packed by the 'wasm' backend/);
});

test('gemm rejects operands too small for their shape', () => {
  const base = {
    m: 3,
    n: 3,
    k: 3,
    a: new Float64Array(9),
    aOffset: 0,
    lda: 3,
    transA: false,
    b: new Float64Array(9),
    bOffset: 0,
    ldb: 3,
    transB: false,
    c: new Float64Array(9),
    cOffset: 0,
    ldc: 3,
    alpha: 1,
    beta: 0,
  };
  assert.throws(() => gemm({ ...base, aOffset: 1 }), /A .* needs 10 elements, has 9/);
  assert.throws(() => gemm({ ...base, ldb: 2 }), /leading dimension of B/);
  assert.throws(() => gemm({ ...base, c: new Float64Array(8) }), /C .* needs 9 elements/);
  assert.throws(() => gemm({ ...base, k: -1 }), /k must be a non-negative integer/);
  assert.throws(() => packB(new Float32Array(5), 0, 3, true, 3, 2), /B .* needs 6 elements/);
});
