/**
 * The accuracy half of the INT8 section: trains the reference CNN with the recipe of ../shared/BENCHMARKS.md
 * (Adam lr 1e-3, batch 64, `--epochs` over the whole training split, shuffled, on the backend KILN_THREADS
 * and KILN_BACKEND choose), quantizes it statically with each calibration method on the first
 * CALIBRATION_IMAGES training images, and measures float and INT8 accuracy on the whole test split. The
 * headline (the default method, `percentile`) and the float model are measured as saved and loaded back
 * through their model files, so their figures are what a user of the files gets. Writes, under
 * bench/results/work/:
 *   cnn-small-trained.safetensors        the trained float weights (torch_bench.py int8 quantizes these)
 *   cnn-small-trained-logits-256.bin     their float logits on the first 256 test images (PyTorch's check)
 *   cnn-small-fp32.kiln, cnn-small-int8.kiln   the float and INT8 model files, whose sizes are compared
 *   cnn-small-int8-logits-256.bin        the INT8 model's logits on the first 256 test images
 *
 * usage: KILN_THREADS=2 node --import tsx bench/kiln-int8.ts [--epochs 2]
 */
import fs from 'node:fs';
import {
  CALIBRATION_METHODS,
  FASHION_MNIST_CLASSES,
  Tensor,
  loadModel,
  noGrad,
  quantizeStatic,
  saveModel,
  saveSafetensors,
  type CalibrationMethod,
  type ModelFileContent,
} from '../src/index.js';
import {
  CALIBRATION_IMAGES,
  CHECK_IMAGES,
  FP32_MODEL_FILE,
  INT8_LOGITS_FILE,
  INT8_MODEL_FILE,
  TRAINED_LOGITS_FILE,
  TRAINED_WEIGHTS_FILE,
  WORK_DIR,
  emit,
  fashionMnistDir,
  loadFashionMnistFloat,
  log,
  maxAbsDiff,
  numArg,
  parseArgs,
  runMain,
  writeFloat32File,
} from './common.js';
import { BATCH, makeTrainer, requireBackend } from './kiln-model.js';

/** The method quantizeStatic uses when none is given, and so the one a user gets: the section's headline. */
const HEADLINE: CalibrationMethod = 'percentile';
/** Evaluation batches are the size the throughput figures use. */
const EVAL_BATCH = 256;

runMain('kiln-int8', async () => {
  const args = parseArgs();
  const epochs = numArg(args, 'epochs', 2);
  const { dir, full } = fashionMnistDir();
  const backend = requireBackend();

  const trainer = makeTrainer(dir, 0);
  const stepsPerEpoch = Math.floor(trainer.samples / BATCH);
  const steps = Math.max(1, Math.round(epochs * stepsPerEpoch));
  const t0 = performance.now();
  let loss = Number.NaN;
  for (let i = 1; i <= steps; i++) {
    const l = trainer.step();
    // Reading the loss waits for the step; only now and then, so training runs as it would unobserved.
    if (i % 200 === 0 || i === steps) {
      loss = l.item();
      log(`step ${i}/${steps}: loss ${loss.toFixed(3)} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    }
  }
  const trainSeconds = (performance.now() - t0) / 1000;
  const { model } = trainer;
  model.eval();
  log(`trained ${steps} steps (${epochs} epoch(s) of ${trainer.samples} images, batch ${BATCH}, Adam 1e-3) in ${trainSeconds.toFixed(1)} s on ${backend.reason}`);

  const test = loadFashionMnistFloat('test', dir);
  const calibration = loadFashionMnistFloat('train', dir, CALIBRATION_IMAGES);
  const calibrationBatch = new Tensor(calibration.x, [calibration.n, 1, 28, 28]);
  const batchOf = (start: number, count: number): Tensor => new Tensor(test.x.slice(start * 784, (start + count) * 784), [count, 1, 28, 28]);
  /** Top-1 predictions on the whole test split, and the logits of its first CHECK_IMAGES images. */
  const predict = (forward: (x: Tensor) => Tensor): { accuracy: number; predictions: Int32Array; check: Float32Array; seconds: number } => {
    const started = performance.now();
    const predictions = new Int32Array(test.n);
    let correct = 0;
    let check = new Float32Array(0);
    for (let start = 0; start < test.n; start += EVAL_BATCH) {
      const count = Math.min(EVAL_BATCH, test.n - start);
      const logits = noGrad(() => forward(batchOf(start, count)).contiguousData()) as Float32Array;
      if (start === 0) check = logits.slice(0, CHECK_IMAGES * 10);
      for (let i = 0; i < count; i++) {
        let best = 0;
        for (let c = 1; c < 10; c++) if (logits[i * 10 + c]! > logits[i * 10 + best]!) best = c;
        predictions[start + i] = best;
        if (best === test.y[start + i]) correct++;
      }
    }
    return { accuracy: correct / test.n, predictions, check, seconds: (performance.now() - started) / 1000 };
  };
  const agreement = (a: Int32Array, b: Int32Array): number => a.reduce((n, v, i) => n + (v === b[i] ? 1 : 0), 0) / a.length;

  fs.mkdirSync(WORK_DIR, { recursive: true });
  await saveSafetensors(TRAINED_WEIGHTS_FILE, { tensors: model.stateDict(), metadata: { steps: String(steps), epochs: String(epochs), seed: '0' } });
  const fileContent = (m: ModelFileContent['model']): ModelFileContent => ({
    model: m,
    task: 'classification',
    labels: FASHION_MNIST_CLASSES,
    input: { kind: 'image', channels: 1, size: [28, 28], fit: 'fill' },
    // Provenance's `epochs` is a whole number; quick mode trains a fraction of one, so the steps go in instead.
    provenance: { seed: 0, trainingSteps: steps },
  });
  await saveModel(FP32_MODEL_FILE, fileContent(model));
  const fp32File = await loadModel(FP32_MODEL_FILE);
  const fp32 = predict((x) => fp32File.predictTensor(x));
  const fp32InMemory = noGrad(() => model.forward(batchOf(0, CHECK_IMAGES)).contiguousData()) as Float32Array;
  writeFloat32File(TRAINED_LOGITS_FILE, fp32.check);
  log(`fp32: test accuracy ${(fp32.accuracy * 100).toFixed(2)} % (${fp32.seconds.toFixed(1)} s for ${test.n} images)`);

  const methods: Record<string, { accuracy: number; dropPoints: number; agreementWithFp32: number; quantizeSeconds: number; evalSeconds: number }> = {};
  let headlineReloadDiff = Number.NaN;
  for (const method of CALIBRATION_METHODS) {
    const started = performance.now();
    const quantized = quantizeStatic(model, calibrationBatch, { method });
    const quantizeSeconds = (performance.now() - started) / 1000;
    let result;
    if (method === HEADLINE) {
      await saveModel(INT8_MODEL_FILE, fileContent(quantized));
      const int8File = await loadModel(INT8_MODEL_FILE);
      result = predict((x) => int8File.predictTensor(x));
      headlineReloadDiff = maxAbsDiff(result.check, quantized.forward(batchOf(0, CHECK_IMAGES)).contiguousData());
      writeFloat32File(INT8_LOGITS_FILE, result.check);
    } else {
      result = predict((x) => quantized.forward(x));
    }
    methods[method] = {
      accuracy: result.accuracy,
      dropPoints: (fp32.accuracy - result.accuracy) * 100,
      agreementWithFp32: agreement(fp32.predictions, result.predictions),
      quantizeSeconds,
      evalSeconds: result.seconds,
    };
    log(
      `int8 ${method}${method === HEADLINE ? ' (headline, from its file)' : ''}: test accuracy ${(result.accuracy * 100).toFixed(2)} % ` +
        `(drop ${methods[method]!.dropPoints.toFixed(2)} points; quantized in ${quantizeSeconds.toFixed(1)} s, evaluated in ${result.seconds.toFixed(1)} s)`,
    );
  }

  const fp32Bytes = fs.statSync(FP32_MODEL_FILE).size;
  const int8Bytes = fs.statSync(INT8_MODEL_FILE).size;
  log(`model files: fp32 ${fp32Bytes} bytes, int8 ${int8Bytes} bytes (${(fp32Bytes / int8Bytes).toFixed(2)}× smaller)`);
  emit({
    backend,
    data: { dir, full },
    epochs,
    steps,
    stepsPerEpoch,
    batch: BATCH,
    trainSeconds,
    loss,
    trainImages: trainer.samples,
    testImages: test.n,
    calibrationImages: calibration.n,
    headline: HEADLINE,
    fp32: { accuracy: fp32.accuracy, evalSeconds: fp32.seconds },
    int8: methods,
    files: {
      fp32: { path: FP32_MODEL_FILE, bytes: fp32Bytes },
      int8: { path: INT8_MODEL_FILE, bytes: int8Bytes, method: HEADLINE },
      weights: TRAINED_WEIGHTS_FILE,
    },
    sizeRatio: fp32Bytes / int8Bytes,
    // Both should be 0: a model file gives back exactly the model that was saved.
    reloadMaxAbsLogitDiff: { fp32: maxAbsDiff(fp32.check, fp32InMemory), int8: headlineReloadDiff },
  });
});
