/**
 * Kiln inference on the reference CNN with the weights of kiln-weights.ts, in evaluation mode without
 * gradients: batch-1 latency (median over `--b1-calls` calls, each creating the input tensor from the
 * image, running forward and reading the logits back) and batch-256 throughput (256·N / time of N calls;
 * N = `--b256-calls`, fewer when `--max-b256-s` runs out, at least 3). Each repeated `--reps` times;
 * medians reported. Threads come from KILN_THREADS.
 *
 * usage: KILN_THREADS=1 node --import tsx bench/kiln-infer.ts [--reps 3 --b1-calls 500 --b256-calls 40]
 */
import { Tensor, loadSafetensors, noGrad } from '../src/index.js';
import {
  B1_WARMUP_CALLS,
  CHECK_IMAGES,
  WEIGHTS_FILE,
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
} from './common.js';
import { referenceModel, requireBackend } from './kiln-model.js';

runMain('kiln-infer', async () => {
  const args = parseArgs();
  const reps = numArg(args, 'reps', 3);
  const b1Calls = numArg(args, 'b1-calls', 500);
  const maxB256Ms = numArg(args, 'max-b256-s', Number.POSITIVE_INFINITY) * 1000;
  const bCalls = numArg(args, 'b256-calls', 40);
  const model = referenceModel(0);
  model.loadStateDict((await loadSafetensors(WEIGHTS_FILE)).tensors);
  model.eval();
  const backend = requireBackend();
  const { n, x } = loadFashionMnistFloat('test', fashionMnistDir().dir);

  /** Input creation, forward, and the logits read back into a JS array. */
  const run = (start: number, count: number): Float32Array =>
    noGrad(() => model.forward(new Tensor(x.slice(start * 784, (start + count) * 784), [count, 1, 28, 28])).contiguousData()) as Float32Array;

  const reference = readKilnLogits();
  const check = run(0, CHECK_IMAGES);
  const maxDiff = reference === null ? null : maxAbsDiff(check, reference);

  for (let i = 0; i < B1_WARMUP_CALLS; i++) run(i % n, 1);
  for (let i = 0; i < 3; i++) run(0, 256);
  const b1 = await repeat(reps, `kiln ${backend.name} b1`, 'ms', () => {
    const times: number[] = [];
    for (let i = 0; i < b1Calls; i++) {
      const t0 = performance.now();
      run(i % n, 1);
      times.push(performance.now() - t0);
    }
    return median(times);
  });
  const b256 = await repeat(reps, `kiln ${backend.name} b256`, 'samples/s', () => {
    const t0 = performance.now();
    let calls = 0;
    while (calls < bCalls && (calls < 3 || performance.now() - t0 < maxB256Ms)) {
      run(0, 256);
      calls++;
    }
    return (256 * calls) / ((performance.now() - t0) / 1000);
  });
  log(`median: b1 ${b1.median.toFixed(3)} ms, b256 ${b256.median.toFixed(0)} samples/s; max |logit - kiln-weights logits| ${maxDiff}`);
  emit({ backend, threads: process.env.KILN_THREADS ?? null, b1Calls, b256Calls: bCalls, b1Ms: b1, b256SamplesPerSecond: b256, maxAbsLogitDiffVsKiln: maxDiff });
});
