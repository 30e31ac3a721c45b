import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import { loadSharp } from '../../data/sharp.js';
import { backendChoice } from '../../backend/registry.js';
import type { ModelMeasurement } from '../../compress/measure.js';
import { loadFashionMnist } from '../../data/fashion-mnist.js';
import { loadModel } from '../../infer/predictor.js';
import { compareCompressed } from '../quickstart-compress.js';
import { parseTrainConfig } from '../train-config.js';
import { runTraining } from '../train-run.js';
import { formatPredictions } from './predict.js';

/** Options of {@link runQuickstart}. */
export interface QuickstartOptions {
  /** Folder for the model and the sample images. */
  dir: string;
  epochs: number;
  /** A short run for CI: fewer samples and one epoch. */
  fast: boolean;
  seed: number;
}

/** Held-out test images written as PNG files, one per class, so prediction runs on real image files. */
async function writeSamples(dir: string): Promise<{ files: string[]; truth: string[] }> {
  const test = loadFashionMnist({ split: 'test', scale: false });
  const labels = test.labels.contiguousData();
  const pixels = test.images.contiguousData() as Uint8Array;
  await mkdir(dir, { recursive: true });
  const sharp = await loadSharp();
  const files: string[] = [];
  const truth: string[] = [];
  for (let c = 0; c < test.classNames.length; c++) {
    // The last image of each class in the test split: never seen in training.
    let index = -1;
    for (let i = labels.length - 1; i >= 0 && index < 0; i--) if (labels[i] === c) index = i;
    const file = join(dir, `test-${String(index).padStart(4, '0')}-${test.classNames[c]!.replace(/[^a-z]+/gi, '-').toLowerCase()}.png`);
    const image = Buffer.from(pixels.subarray(index * 784, (index + 1) * 784));
    await sharp(image, { raw: { width: 28, height: 28, channels: 1 } }).png().toFile(file);
    files.push(file);
    truth.push(test.classNames[c]!);
  }
  return { files, truth };
}

/**
 * The main demo: trains the reference CNN on the bundled Fashion-MNIST subset with live progress,
 * evaluates it on the held-out test split, saves the model, then loads the saved file and predicts
 * held-out PNG images, showing true against predicted class; finally shrinks it three ways (int8,
 * pruned, distilled) and compares accuracy, file size and speed.
 */
export async function runQuickstart(options: QuickstartOptions, out: NodeJS.WritableStream & { isTTY?: boolean } = process.stdout): Promise<{ accuracy: number; correct: number; total: number; compressed: ModelMeasurement[] }> {
  const say = (text = '') => out.write(`${text}\n`);
  const choice = backendChoice();
  say('Kiln quickstart — CNN image classification on Fashion-MNIST (bundled subset)');
  say(`backend: ${choice.backend.name} (${choice.reason})`);
  say();
  const modelPath = join(options.dir, 'fashion-mnist.kiln');
  const config = parseTrainConfig({
    data: 'fashion-mnist',
    model: 'cnn-small',
    epochs: options.fast ? 1 : options.epochs,
    batchSize: 64,
    optimizer: 'adam',
    lr: 1e-3,
    patience: 2,
    seed: options.seed,
    out: modelPath,
    metrics: ['accuracy'],
    ...(options.fast ? { maxTrainSamples: 2000 } : {}),
  });
  say('1. train: the reference CNN (Conv 32 → Conv 64 → Dense 128 → 10), Adam, batch 64');
  const result = await runTraining(config, process.stderr.isTTY ? process.stderr : out);
  const accuracy = result.testMetrics?.accuracy ?? NaN;
  say();
  say(`2. evaluate on ${result.data.test?.length ?? 0} held-out test images: accuracy ${(100 * accuracy).toFixed(2)}%`);
  const { size } = await stat(modelPath);
  say(`3. saved ${modelPath} (${(size / 1024).toFixed(0)} KiB: weights, architecture, preprocessing, class names)`);
  say();
  const samples = await writeSamples(join(options.dir, 'samples'));
  const predictor = await loadModel(modelPath);
  const predictions = await predictor.predict(samples.files);
  say(`4. predict new photos: the saved model, loaded back, on ${samples.files.length} held-out PNG files`);
  const rows = predictions.map((prediction, i) => ({ input: samples.files[i]!, prediction }));
  const table = formatPredictions(rows).split('\n');
  const width = Math.max(...samples.truth.map((t) => t.length), 'true class'.length);
  say(`   ${'true class'.padEnd(width)}  ${table[0]}`);
  let correct = 0;
  table.slice(1).forEach((line, i) => {
    const ok = 'label' in predictions[i]! && predictions[i]!.label === samples.truth[i];
    if (ok) correct++;
    say(`${ok ? ' ✓ ' : ' ✗ '}${samples.truth[i]!.padEnd(width)}  ${line}`);
  });
  say();
  say('5. shrink it for deployment: int8 quantization, structured pruning, distillation; each saved and loaded back');
  const compressed = await compareCompressed(modelPath, result.data, {
    epochs: options.fast ? 1 : 2, seed: options.seed, timingMs: options.fast ? 100 : 400, say,
  });
  say();
  for (const line of compressed.table.split('\n')) say(`   ${line}`);
  say();
  say(`summary: ${result.history.epochs.length} epochs in ${result.seconds.toFixed(0)} s, test accuracy ${(100 * accuracy).toFixed(2)}%, ${correct}/${samples.files.length} sample photos right`);
  say(`next: kiln info ${modelPath} · kiln eval ${modelPath} fashion-mnist · kiln predict ${modelPath} your-photo.png`);
  return { accuracy, correct, total: samples.files.length, compressed: compressed.rows };
}

/** Registers `kiln quickstart`. */
export function registerQuickstartCommand(program: Command): void {
  program
    .command('quickstart')
    .description('train, evaluate, save and use a CNN on the bundled Fashion-MNIST subset (the main demo)')
    .option('--dir <folder>', 'where to put the model and sample images', 'kiln-quickstart')
    .option('--epochs <n>', 'maximum epochs (early stopping may end sooner)', (v) => Number(v), 6)
    .option('--seed <n>', 'seed of the run', (v) => Number(v), 0)
    .option('--fast', 'a short run (2,000 images, one epoch) for smoke tests')
    .addHelpText('after', '\nExamples:\n  $ kiln quickstart\n  $ kiln quickstart --fast --dir /tmp/kiln-demo')
    .action(async (options: { dir: string; epochs: number; seed: number; fast?: boolean }) => {
      await runQuickstart({ dir: options.dir, epochs: options.epochs, seed: options.seed, fast: options.fast ?? false });
    });
}
