/**
 * The weights every inference measurement uses: Kiln's reference CNN (seed 0) trained briefly, so its
 * logits look like a real model's. Writes, under bench/results/work/:
 *   cnn-small.safetensors   Kiln's state dict (PyTorch names it the same way once put in nn.Sequential)
 *   kiln-logits-256.bin     Kiln's logits on the first 256 test images, float32 [256, 10]
 * and reports the test accuracy, so the other runtimes can be checked against Kiln (max |logit difference|).
 *
 * usage: node --import tsx bench/kiln-weights.ts [--steps 150]
 */
import fs from 'node:fs';
import { Tensor, noGrad, saveSafetensors } from '../src/index.js';
import {
  CHECK_IMAGES,
  KILN_LOGITS_FILE,
  WEIGHTS_FILE,
  WORK_DIR,
  emit,
  fashionMnistDir,
  loadFashionMnistFloat,
  log,
  numArg,
  parseArgs,
  runMain,
} from './common.js';
import { backendInfo, makeTrainer } from './kiln-model.js';

runMain('kiln-weights', async () => {
  const args = parseArgs();
  const steps = numArg(args, 'steps', 150);
  const { dir, full } = fashionMnistDir();
  const trainer = makeTrainer(dir, 0);
  const t0 = performance.now();
  let loss = 0;
  for (let i = 0; i < steps; i++) loss = trainer.step().item();
  const trainSeconds = (performance.now() - t0) / 1000;
  const { model } = trainer;
  model.eval();

  const test = loadFashionMnistFloat('test', dir);
  const logitsOf = (start: number, count: number): Float32Array =>
    noGrad(() => model.forward(new Tensor(test.x.slice(start * 784, (start + count) * 784), [count, 1, 28, 28])).contiguousData()) as Float32Array;
  let correct = 0;
  for (let start = 0; start < test.n; start += 500) {
    const count = Math.min(500, test.n - start);
    const logits = logitsOf(start, count);
    for (let i = 0; i < count; i++) {
      let best = 0;
      for (let c = 1; c < 10; c++) if (logits[i * 10 + c]! > logits[i * 10 + best]!) best = c;
      if (best === test.y[start + i]) correct++;
    }
  }
  fs.mkdirSync(WORK_DIR, { recursive: true });
  const check = logitsOf(0, CHECK_IMAGES);
  fs.writeFileSync(KILN_LOGITS_FILE, new Uint8Array(check.buffer, check.byteOffset, check.byteLength));
  await saveSafetensors(WEIGHTS_FILE, { tensors: model.stateDict(), metadata: { steps: String(steps), seed: '0' } });
  const accuracy = correct / test.n;
  log(
    `trained ${steps} steps (batch 64, Adam 1e-3) in ${trainSeconds.toFixed(1)} s on ${backendInfo().reason}: ` +
      `loss ${loss.toFixed(3)}, test accuracy ${(accuracy * 100).toFixed(2)} % on ${test.n} images; wrote ${WEIGHTS_FILE}`,
  );
  emit({
    backend: backendInfo(),
    steps,
    loss,
    trainSeconds,
    testAccuracy: accuracy,
    testImages: test.n,
    trainImages: trainer.samples,
    data: { dir, full },
    weights: WEIGHTS_FILE,
    logits: KILN_LOGITS_FILE,
  });
});
