/**
 * onnxruntime-node inference of the reference CNN with Kiln's weights (the ONNX file torch_bench.py exports
 * from PyTorch after loading Kiln's state dict): batch-1 latency (median over `--b1-calls` calls of
 * `session.run`, input tensor creation and reading the logits included) and batch-256 samples/s, for each
 * intra-op thread count in `--threads` (default 1,2), sequential execution, all graph optimizations.
 * Also max |logit − Kiln| on 256 test images. `--max-b256-s` caps one batch-256 repetition (at least 3 calls).
 *
 * usage: node --import tsx bench/peer-ort.ts [--threads 1,2 --reps 3 --b1-calls 500 --b256-calls 40]
 */
import fs from 'node:fs';
import {
  B1_WARMUP_CALLS,
  CHECK_IMAGES,
  ONNX_FILE,
  emit,
  fashionMnistDir,
  loadFashionMnistFloat,
  log,
  maxAbsDiff,
  median,
  numArg,
  parseArgs,
  readKilnLogits,
  repeat,
  runMain,
  type Figure,
} from './common.js';

runMain('peer-ort', async () => {
  const args = parseArgs();
  const reps = numArg(args, 'reps', 3);
  const b1Calls = numArg(args, 'b1-calls', 500);
  const maxB256Ms = numArg(args, 'max-b256-s', Number.POSITIVE_INFINITY) * 1000;
  const bCalls = numArg(args, 'b256-calls', 40);
  const threadsList = (args.threads ?? '1,2').split(',').map(Number);
  let ort: typeof import('onnxruntime-node');
  try {
    ort = await import('onnxruntime-node');
  } catch (error) {
    throw new Error(`onnxruntime-node is not installed or does not load (npm install -D -E onnxruntime-node@1.30.0): ${(error as Error).message}`);
  }
  if (!fs.existsSync(ONNX_FILE)) throw new Error(`no ONNX model at ${ONNX_FILE} (torch_bench.py export makes it; it needs PyTorch)`);
  const { n, x } = loadFashionMnistFloat('test', fashionMnistDir().dir);
  const reference = readKilnLogits();
  const runs: { threads: number; b1Ms: Figure; b256SamplesPerSecond: Figure; maxAbsLogitDiffVsKiln: number | null }[] = [];
  for (const threads of threadsList) {
    const session = await ort.InferenceSession.create(ONNX_FILE, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
    const run = async (start: number, count: number): Promise<Float32Array> => {
      const input = new ort.Tensor('float32', x.slice(start * 784, (start + count) * 784), [count, 1, 28, 28]);
      const output = await session.run({ input });
      return output.logits!.data as Float32Array;
    };
    const check = await run(0, CHECK_IMAGES);
    const maxDiff = reference === null ? null : maxAbsDiff(check, reference);
    for (let i = 0; i < B1_WARMUP_CALLS; i++) await run(i % n, 1);
    for (let i = 0; i < 3; i++) await run(0, 256);
    const b1 = await repeat(reps, `ort t${threads} b1`, 'ms', async () => {
      const times: number[] = [];
      for (let i = 0; i < b1Calls; i++) {
        const t0 = performance.now();
        await run(i % n, 1);
        times.push(performance.now() - t0);
      }
      return median(times);
    });
    const b256 = await repeat(reps, `ort t${threads} b256`, 'samples/s', async () => {
      const t0 = performance.now();
      let calls = 0;
      while (calls < bCalls && (calls < 3 || performance.now() - t0 < maxB256Ms)) {
        await run(0, 256);
        calls++;
      }
      return (256 * calls) / ((performance.now() - t0) / 1000);
    });
    log(`ort t${threads} median: b1 ${b1.median.toFixed(3)} ms, b256 ${b256.median.toFixed(0)} samples/s; max |logit - Kiln| ${maxDiff}`);
    runs.push({ threads, b1Ms: b1, b256SamplesPerSecond: b256, maxAbsLogitDiffVsKiln: maxDiff });
    await session.release();
  }
  const version = JSON.parse(fs.readFileSync(new URL('../node_modules/onnxruntime-node/package.json', import.meta.url), 'utf8')) as { version: string };
  emit({ version: version.version, runs, b1Calls, b256Calls: bCalls });
});
