/**
 * TensorFlow.js inference (backend `wasm`, SIMD; one thread — tfjs-backend-wasm cannot start threads in
 * Node) of the reference CNN with Kiln's weights, converted to tfjs' channels-last layout (conv kernels
 * OIHW → HWIO, fc1's rows permuted from NCHW to NHWC flattening). Batch-1 latency (median over
 * `--b1-calls` calls: input tensor creation, predict, reading the logits back) and batch-256 samples/s.
 * Also max |logit − Kiln| on 256 test images. `--max-b256-s` caps one batch-256 repetition (at least 3 calls).
 *
 * usage: node --import tsx bench/peer-tfjs.ts [--backend wasm --reps 3 --b1-calls 500 --b256-calls 10]
 */
import fs from 'node:fs';
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
  readSafetensorsF32,
  repeat,
  runMain,
} from './common.js';

runMain('peer-tfjs', async () => {
  const args = parseArgs();
  const backendName = args.backend ?? 'wasm';
  const reps = numArg(args, 'reps', 3);
  const b1Calls = numArg(args, 'b1-calls', 500);
  const maxB256Ms = numArg(args, 'max-b256-s', Number.POSITIVE_INFINITY) * 1000;
  const bCalls = numArg(args, 'b256-calls', 10);
  let tf: typeof import('@tensorflow/tfjs');
  try {
    tf = await import('@tensorflow/tfjs');
    if (backendName === 'wasm') {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      wasm.setThreadsCount(1);
    }
  } catch (error) {
    throw new Error(
      `@tensorflow/tfjs / @tensorflow/tfjs-backend-wasm are not installed or do not load (npm install -D -E @tensorflow/tfjs@4.22.0 ` +
        `@tensorflow/tfjs-backend-wasm@4.22.0): ${(error as Error).message}`,
    );
  }
  if (!(await tf.setBackend(backendName))) throw new Error(`tf.setBackend('${backendName}') failed`);
  await tf.ready();
  const simd = backendName === 'wasm' ? await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT') : null;

  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
      tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 128, activation: 'relu' }),
      tf.layers.dense({ units: 10 }),
    ],
  });
  const weights = readSafetensorsF32(WEIGHTS_FILE);
  const get = (name: string): { shape: number[]; data: Float32Array } => {
    const w = weights.get(name);
    if (w === undefined) throw new Error(`${WEIGHTS_FILE} has no tensor ${name}`);
    return w;
  };
  const convKernel = (name: string) => {
    const w = get(name);
    return tf.tidy(() => tf.tensor4d(w.data, w.shape as [number, number, number, number]).transpose([2, 3, 1, 0]));
  };
  // Kiln fc1 weight [o, c*25 + hw] (NCHW flatten) -> tfjs kernel [(hw*64 + c), o] (NHWC flatten).
  const fc1 = get('7.weight').data;
  const k1 = new Float32Array(1600 * 128);
  for (let o = 0; o < 128; o++) for (let c = 0; c < 64; c++) for (let hw = 0; hw < 25; hw++) k1[(hw * 64 + c) * 128 + o] = fc1[o * 1600 + c * 25 + hw]!;
  const fc2 = get('9.weight').data;
  const tensors = [
    convKernel('0.weight'),
    tf.tensor1d(get('0.bias').data),
    convKernel('3.weight'),
    tf.tensor1d(get('3.bias').data),
    tf.tensor2d(k1, [1600, 128]),
    tf.tensor1d(get('7.bias').data),
    tf.tidy(() => tf.tensor2d(fc2, [10, 128]).transpose()),
    tf.tensor1d(get('9.bias').data),
  ];
  model.setWeights(tensors);
  tensors.forEach((t) => t.dispose());

  const { n, x } = loadFashionMnistFloat('test', fashionMnistDir().dir);
  // One channel: NCHW and NHWC images have the same memory layout.
  const run = async (start: number, count: number): Promise<Float32Array> => {
    const input = tf.tensor4d(x.slice(start * 784, (start + count) * 784), [count, 28, 28, 1]);
    const output = model.predict(input) as import('@tensorflow/tfjs').Tensor;
    const data = (await output.data()) as Float32Array;
    input.dispose();
    output.dispose();
    return data;
  };
  const reference = readKilnLogits();
  const maxDiff = reference === null ? null : maxAbsDiff(await run(0, CHECK_IMAGES), reference);
  for (let i = 0; i < B1_WARMUP_CALLS; i++) await run(i % n, 1);
  await run(0, 256);
  const b1 = await repeat(reps, `tfjs-${backendName} b1`, 'ms', async () => {
    const times: number[] = [];
    for (let i = 0; i < b1Calls; i++) {
      const t0 = performance.now();
      await run(i % n, 1);
      times.push(performance.now() - t0);
    }
    return median(times);
  });
  const b256 = await repeat(reps, `tfjs-${backendName} b256`, 'samples/s', async () => {
    const t0 = performance.now();
    let calls = 0;
    while (calls < bCalls && (calls < 3 || performance.now() - t0 < maxB256Ms)) {
      await run(0, 256);
      calls++;
    }
    return (256 * calls) / ((performance.now() - t0) / 1000);
  });
  log(`tfjs-${backendName} median: b1 ${b1.median.toFixed(3)} ms, b256 ${b256.median.toFixed(0)} samples/s; max |logit - Kiln| ${maxDiff}`);
  const version = JSON.parse(fs.readFileSync(new URL('../node_modules/@tensorflow/tfjs/package.json', import.meta.url), 'utf8')) as { version: string };
  emit({ version: version.version, backend: backendName, threads: 1, simd, b1Calls, b256Calls: bCalls, b1Ms: b1, b256SamplesPerSecond: b256, maxAbsLogitDiffVsKiln: maxDiff });
});
