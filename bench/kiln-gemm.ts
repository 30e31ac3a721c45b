/**
 * Kiln GEMM throughput: C = A·B with A, B float32 [n, n] (default 1024), GFLOP/s = 2n³ / time, through the
 * public `matmul` (output allocation included). The thread count is fixed when the native addon loads, so
 * run one process per thread count: KILN_THREADS=1 … and KILN_THREADS=2 ….
 * 16 random entries of C are checked against a float64 dot product, so a fast wrong kernel cannot pass.
 * Then the int8 product of the same size through the backend's qgemm (u8 × s8 with exact int32 sums,
 * requantized to u8), GOP/s = 2n³ / time, with 16 entries checked against the exact sum requantized.
 *
 * usage: KILN_THREADS=1 node --import tsx bench/kiln-gemm.ts [--n 1024 --calls 10 --reps 5]
 */
import type { Requantization } from '../src/backend/backend.js';
import { roundHalfEven } from '../src/backend/js/int8.js';
import { getBackend, manualSeed, matmul, noGrad, rand } from '../src/index.js';
import { emit, log, numArg, parseArgs, repeat, runMain } from './common.js';
import { requireBackend } from './kiln-model.js';

runMain('kiln-gemm', async () => {
  const args = parseArgs();
  const n = numArg(args, 'n', 1024);
  const calls = numArg(args, 'calls', 10);
  const reps = numArg(args, 'reps', 5);
  manualSeed(0);
  const a = rand([n, n]).sub(0.5);
  const b = rand([n, n]).sub(0.5);
  const backend = requireBackend();
  const product = (): Float32Array => noGrad(() => matmul(a, b).contiguousData()) as Float32Array;

  const c = product();
  const av = a.contiguousData();
  const bv = b.contiguousData();
  let maxRelError = 0;
  for (let k = 0; k < 16; k++) {
    const i = (k * 7919) % n;
    const j = (k * 104729 + 13) % n;
    let exact = 0;
    let scale = 0;
    for (let p = 0; p < n; p++) {
      exact += av[i * n + p]! * bv[p * n + j]!;
      scale += Math.abs(av[i * n + p]! * bv[p * n + j]!);
    }
    maxRelError = Math.max(maxRelError, Math.abs(c[i * n + j]! - exact) / scale);
  }
  if (!(maxRelError < 1e-4)) throw new Error(`GEMM result is wrong: max relative error ${maxRelError}`);

  for (let i = 0; i < 2; i++) product();
  const gflops = await repeat(reps, `kiln ${backend.name} gemm ${n}³`, 'GFLOP/s', () => {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) product();
    return (2 * n ** 3 * calls) / ((performance.now() - t0) / 1000) / 1e9;
  });
  log(`median ${gflops.median.toFixed(1)} GFLOP/s on ${backend.reason} (max relative error ${maxRelError.toExponential(1)})`);

  const kernels = getBackend();
  // Deterministic bytes with every value in range; the scale spreads the products over the u8 outputs.
  const qa = Uint8Array.from({ length: n * n }, (_, i) => Math.imul(i, 2654435761) >>> 24);
  const qw = Int8Array.from({ length: n * n }, (_, i) => (Math.imul(i + 7, 2246822519) >>> 24) - 128);
  const requant: Requantization = {
    kind: 'uint8', bias: new Int32Array(n), scale: new Float32Array(n).fill(2 ** -14), zeroPoint: 128, min: 0, max: 255,
  };
  const packed = kernels.packInt8(qw, n, n);
  const qout = new Uint8Array(n * n);
  const qgemm = (): void => kernels.qgemm({ m: n, a: qa, aOffset: 0, lda: n, w: packed, requant, out: qout, outOffset: 0, ldo: n });
  qgemm();
  for (let t = 0; t < 16; t++) {
    const i = (t * 7919) % n;
    const j = (t * 104729 + 13) % n;
    let exact = 0;
    for (let p = 0; p < n; p++) exact += qa[i * n + p]! * qw[j * n + p]!;
    const want = Math.min(255, Math.max(0, roundHalfEven(Math.fround(Math.fround(exact) * 2 ** -14)) + 128));
    if (qout[i * n + j] !== want) throw new Error(`int8 GEMM result is wrong at [${i}, ${j}]: ${qout[i * n + j]}, expected ${want}`);
  }
  for (let i = 0; i < 2; i++) qgemm();
  const gops = await repeat(reps, `kiln ${backend.name} qgemm ${n}³ (int8)`, 'GOP/s', () => {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) qgemm();
    return (2 * n ** 3 * calls) / ((performance.now() - t0) / 1000) / 1e9;
  });
  log(`median ${gops.median.toFixed(1)} GOP/s for the int8 product`);
  emit({ backend, threads: process.env.KILN_THREADS ?? null, n, calls, gflops, maxRelError, int8Gops: gops });
});
