/**
 * Kiln GEMM throughput: C = A·B with A, B float32 [n, n] (default 1024), GFLOP/s = 2n³ / time, through the
 * public `matmul` (output allocation included). The thread count is fixed when the native addon loads, so
 * run one process per thread count: KILN_THREADS=1 … and KILN_THREADS=2 ….
 * 16 random entries of C are checked against a float64 dot product, so a fast wrong kernel cannot pass.
 *
 * usage: KILN_THREADS=1 node --import tsx bench/kiln-gemm.ts [--n 1024 --calls 10 --reps 5]
 */
import { manualSeed, matmul, noGrad, rand } from '../src/index.js';
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
  emit({ backend, threads: process.env.KILN_THREADS ?? null, n, calls, gflops, maxRelError });
});
