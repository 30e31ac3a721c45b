/**
 * The speed half of the INT8 section: the INT8 model file kiln-int8.ts wrote and the float model file it was
 * quantized from, both loaded with loadModel and run through Predictor.predictTensor, timed the way
 * kiln-infer.ts times the float model — batch-1 latency (median over `--b1-calls` calls, each creating the
 * input tensor from the image, running the model and reading the logits back) and batch-256 throughput
 * (256·N / time of N calls; N = `--b256-calls`, more until `--min-b256-s` has passed, fewer when
 * `--max-b256-s` runs out, at least 3), each repeated `--reps` times. The minimum keeps a fast INT8 model's
 * repetition long enough that one descheduling does not decide it. Threads come from KILN_THREADS, which the addon reads when it loads: one process
 * per thread count. Both models are checked against the logits kiln-int8.ts recorded.
 *
 * usage: KILN_THREADS=1 node --import tsx bench/kiln-int8-infer.ts [--reps 3 --b1-calls 500 --b256-calls 40]
 */
import { Tensor, getBackend, loadModel, type Predictor } from '../src/index.js';
import {
  B1_WARMUP_CALLS,
  CHECK_IMAGES,
  FP32_MODEL_FILE,
  INT8_LOGITS_FILE,
  INT8_MODEL_FILE,
  TRAINED_LOGITS_FILE,
  emit,
  fashionMnistDir,
  loadFashionMnistFloat,
  log,
  maxAbsDiff,
  median,
  numArg,
  parseArgs,
  readFloat32File,
  repeat,
  runMain,
  type Figure,
} from './common.js';
import { requireBackend } from './kiln-model.js';

/** Which integer kernels run: the native addon's family (e.g. avx512-vnni), or the js reference kernels. */
function int8Kernels(): string {
  const backend = getBackend();
  if (!('int8Isa' in backend)) return `${backend.name} reference kernels`;
  try {
    return `${backend.name} ${String(backend.int8Isa)}`;
  } catch (error) {
    return `${backend.name}, kernel family unknown (${(error as Error).message})`;
  }
}

runMain('kiln-int8-infer', async () => {
  const args = parseArgs();
  const reps = numArg(args, 'reps', 3);
  const b1Calls = numArg(args, 'b1-calls', 500);
  const maxB256Ms = numArg(args, 'max-b256-s', Number.POSITIVE_INFINITY) * 1000;
  const minB256Ms = numArg(args, 'min-b256-s', 0) * 1000;
  const b256Calls = numArg(args, 'b256-calls', 40);
  const backend = requireBackend();
  const kernels = int8Kernels();
  const { n, x } = loadFashionMnistFloat('test', fashionMnistDir().dir);
  const models = { fp32: await loadModel(FP32_MODEL_FILE), int8: await loadModel(INT8_MODEL_FILE) };

  /** Input creation, the forward pass, and the logits read back into a JS array. */
  const run = (predictor: Predictor, start: number, count: number): Float32Array =>
    predictor.predictTensor(new Tensor(x.slice(start * 784, (start + count) * 784), [count, 1, 28, 28])).contiguousData() as Float32Array;

  const check = (predictor: Predictor, file: string): number | null => {
    const reference = readFloat32File(file);
    return reference === null ? null : maxAbsDiff(run(predictor, 0, CHECK_IMAGES), reference);
  };
  const diffs = { fp32: check(models.fp32, TRAINED_LOGITS_FILE), int8: check(models.int8, INT8_LOGITS_FILE) };

  const measured: Record<string, { b1Ms: Figure; b256SamplesPerSecond: Figure }> = {};
  for (const [name, predictor] of Object.entries(models)) {
    for (let i = 0; i < B1_WARMUP_CALLS; i++) run(predictor, i % n, 1);
    for (let i = 0; i < 3; i++) run(predictor, 0, 256);
    const b1Ms = await repeat(reps, `kiln ${name} b1`, 'ms', () => {
      const times: number[] = [];
      for (let i = 0; i < b1Calls; i++) {
        const t0 = performance.now();
        run(predictor, i % n, 1);
        times.push(performance.now() - t0);
      }
      return median(times);
    });
    const b256SamplesPerSecond = await repeat(reps, `kiln ${name} b256`, 'samples/s', () => {
      const t0 = performance.now();
      let calls = 0;
      const elapsed = (): number => performance.now() - t0;
      while ((calls < b256Calls || elapsed() < minB256Ms) && (calls < 3 || elapsed() < maxB256Ms)) {
        run(predictor, 0, 256);
        calls++;
      }
      return (256 * calls) / (elapsed() / 1000);
    });
    measured[name] = { b1Ms, b256SamplesPerSecond };
  }
  const { fp32, int8 } = measured as Record<'fp32' | 'int8', { b1Ms: Figure; b256SamplesPerSecond: Figure }>;
  log(
    `median: fp32 b1 ${fp32.b1Ms.median.toFixed(3)} ms, b256 ${fp32.b256SamplesPerSecond.median.toFixed(0)} samples/s; ` +
      `int8 (${kernels}) b1 ${int8.b1Ms.median.toFixed(3)} ms, b256 ${int8.b256SamplesPerSecond.median.toFixed(0)} samples/s; ` +
      `max |logit - kiln-int8.ts| fp32 ${diffs.fp32}, int8 ${diffs.int8}`,
  );
  emit({ backend, int8Kernels: kernels, threads: process.env.KILN_THREADS ?? null, b1Calls, b256Calls, minB256S: minB256Ms / 1000, fp32, int8, maxAbsLogitDiffVsKilnInt8: diffs });
});
