/**
 * The sparse-weight product against the dense one, on the native backend: `sparseGemm` with weights packed
 * once by `packSparse`, and the `gemm` a Linear layer runs (weights [out, in] read transposed, the bias and
 * ReLU fused), both writing into preallocated outputs. Weights have zeros at random positions, as magnitude
 * pruning leaves them, at each sparsity; layers are the reference CNN's hidden Linear (1600→128) and a large
 * one (4096→4096); batches of 1 and 256 rows; 1 and 2 threads. Each sparse result is checked against the
 * dense one first, so a fast wrong kernel cannot pass. Prints µs per call (median of the repetitions) and
 * dense ÷ sparse: above 1 the sparse kernel is faster.
 *
 * usage: node --import tsx bench/sparse.ts [--reps 3 --rep-ms 200 --sparsities 0.5,0.75,0.9,0.95
 *        --batches 1,256 --threads 1,2 --layers 1600x128,4096x4096]
 */
import type { NativeBackend } from '../src/backend/native/native-backend.js';
import { getBackend } from '../src/index.js';
import { fmt, log, numArg, parseArgs, repeat, runMain, type Figure } from './common.js';
import { requireBackend } from './kiln-model.js';

/** A comma-separated list of numbers, or `fallback`. */
function listArg(value: string | undefined, fallback: number[]): number[] {
  if (value === undefined) return fallback;
  return value.split(',').map((item) => {
    const n = Number(item);
    if (!Number.isFinite(n) || n < 0) throw new Error(`expected a list of numbers, got '${value}'`);
    return n;
  });
}

/** Uniform values in [−1, 1) from a small linear congruential generator, so every run times the same data. */
function randomValues(length: number, seed: number): Float32Array {
  let state = seed >>> 0;
  return Float32Array.from({ length }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 31 - 1;
  });
}

/** Weights [n, k] with `sparsity` of them zero, at random positions. */
function prunedWeights(n: number, k: number, sparsity: number, seed: number): Float32Array {
  const w = randomValues(n * k, seed);
  const coin = randomValues(n * k, seed + 1);
  for (let i = 0; i < w.length; i++) if ((coin[i]! + 1) / 2 < sparsity) w[i] = 0;
  return w;
}

/** Calls of `work` that take about `ms` milliseconds, found by doubling. */
function callsFor(work: () => void, ms: number): number {
  for (let calls = 1; ; calls *= 2) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) work();
    if (performance.now() - t0 >= ms / 4) return Math.max(1, Math.round((calls * ms) / (4 * (performance.now() - t0))) * 4);
  }
}

/** Median µs per call of `work`, over `reps` repetitions of about `repMs` milliseconds each. */
async function time(label: string, work: () => void, reps: number, repMs: number): Promise<Figure> {
  const calls = callsFor(work, repMs);
  return repeat(reps, label, 'µs/call', () => {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) work();
    return ((performance.now() - t0) * 1000) / calls;
  });
}

/** Throws unless `got` matches `want` to float32 rounding (relative to the largest |want|). */
function check(got: Float32Array, want: Float32Array, what: string): void {
  let scale = 1;
  for (const v of want) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i]! - want[i]!) <= 1e-4 * scale)) throw new Error(`${what}: element ${i} is ${got[i]}, the dense product gives ${want[i]}`);
  }
}

runMain('sparse', async () => {
  const args = parseArgs();
  const reps = numArg(args, 'reps', 3);
  const repMs = numArg(args, 'rep-ms', 200);
  const sparsities = listArg(args['sparsities'], [0.5, 0.75, 0.9, 0.95]);
  const batches = listArg(args['batches'], [1, 256]);
  const threadCounts = listArg(args['threads'], [1, 2]);
  const layers = (args['layers'] ?? '1600x128,4096x4096').split(',').map((layer) => layer.split('x').map(Number) as [number, number]);
  const info = requireBackend('native');
  const backend = getBackend() as NativeBackend;
  log(`backend: ${info.reason}; kernel family ${backend.isa}`);

  const rows: string[][] = [];
  for (const threads of threadCounts) {
    backend.setThreads(threads);
    for (const [k, n] of layers) {
      const bias = randomValues(n, 7);
      for (const m of batches) {
        const a = randomValues(m * k, 3);
        const out = new Float32Array(m * n);
        const where = `${k}→${n}, batch ${m}, ${threads} thread${threads === 1 ? '' : 's'}`;
        const denseRuns = sparsities.map((sparsity) => {
          const w = prunedWeights(n, k, sparsity, 11);
          const dense = (): void => backend.gemm({
            m, n, k, a, aOffset: 0, lda: k, transA: false, b: w, bOffset: 0, ldb: k, transB: true,
            c: out, cOffset: 0, ldc: n, alpha: 1, beta: 0, bias, activation: 'relu',
          });
          const packed = backend.packSparse(w, n, k);
          const sparse = (): void => backend.sparseGemm({ m, a, aOffset: 0, lda: k, w: packed, bias, activation: 'relu', out, outOffset: 0, ldo: n });
          dense();
          const want = out.slice();
          sparse();
          check(out, want, `${where}, ${100 * sparsity}% zeros`);
          return { sparsity, dense, sparse };
        });
        // The dense product does the same work whatever the zeros: it is timed once, on the first weights.
        const dense = await time(`dense ${where}`, denseRuns[0]!.dense, reps, repMs);
        for (const run of denseRuns) {
          const sparse = await time(`sparse ${where}, ${100 * run.sparsity}% zeros`, run.sparse, reps, repMs);
          rows.push([`${k}→${n}`, String(m), String(threads), `${100 * run.sparsity}%`, fmt(dense.median), fmt(sparse.median), `${(dense.median / sparse.median).toFixed(2)}×`]);
        }
      }
    }
  }
  const header = ['layer', 'batch', 'threads', 'zeros', 'dense µs', 'sparse µs', 'dense ÷ sparse'];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c]!.length)));
  const line = (cells: readonly string[]): string => cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  log('');
  for (const row of [header, ...rows]) log(line(row));
});
