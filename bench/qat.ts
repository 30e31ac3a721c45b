/**
 * What quantization-aware training buys over post-training quantization, on the bundled Fashion-MNIST
 * subset (10,000 training and 2,000 test images): for each model, train it in float, then measure the test
 * accuracy of
 * - fp32: the float model;
 * - PTQ: static INT8 quantization calibrated on `--calibration` training images (minmax and percentile);
 * - QAT: prepareQat (ranges initialized from the same images) fine-tuned for `--qat-epochs`, converted;
 * - control: the float model fine-tuned for the same epochs at the same learning rate without fake
 *   quantization, in float and after minmax PTQ — so that what QAT gains by training longer is not
 *   mistaken for what it gains by seeing quantization.
 * It also reports how far the QAT model's eval outputs are from its converted integer model's.
 *
 * usage: node --import tsx bench/qat.ts [--models narrow,cnn-small,cnn-small-rescaled --epochs 3 --qat-epochs 2 --calibration 512
 *        --lr 0.002 --qat-lr 0.0002 --seed 1]
 */
import {
  Adam,
  TensorDataset,
  argmax,
  backendChoice,
  buildModel,
  convertQat,
  fit,
  loadFashionMnist,
  noGrad,
  prepareQat,
  presetSpec,
  quantizeStatic,
  slice,
  type Module,
  type ModelSpec,
  type SpecModel,
  type Tensor,
} from '../src/index.js';
import { numArg, parseArgs } from './common.js';

/** The models compared: a narrow CNN (few channels, so each quantized value matters more), the reference CNN, and the reference CNN with one unbalanced channel. */
const MODELS: Record<string, ModelSpec> = {
  narrow: {
    input: [1, 28, 28],
    layers: [
      { type: 'conv2d', out: 8, kernel: 3 },
      { type: 'relu' },
      { type: 'maxPool2d', kernel: 2 },
      { type: 'conv2d', out: 16, kernel: 3 },
      { type: 'relu' },
      { type: 'maxPool2d', kernel: 2 },
      { type: 'flatten' },
      { type: 'linear', out: 32 },
      { type: 'relu' },
      { type: 'linear', out: 10 },
    ],
  },
  'cnn-small': presetSpec('cnn-small', { outputs: 10 }),
  'cnn-small-rescaled': presetSpec('cnn-small', { outputs: 10 }),
};

/**
 * `cnn-small-rescaled` is the trained reference CNN with its first filter's weights and bias scaled up by
 * RESCALE and the second convolution's weights reading that channel scaled down by as much. ReLU and max
 * pooling commute with positive scaling, so the float model computes exactly the same function; but one
 * channel now spans RESCALE times the range of the others, the per-tensor activation range follows it, and
 * the other channels keep only a few levels. Such unbalanced channels occur in trained networks without
 * normalization (Nagel et al., "Data-Free Quantization", 2019) — it is the case where PTQ loses and QAT,
 * which can move the weights, should recover.
 */
const RESCALE = 300;

function rescaleFirstChannel(model: SpecModel): void {
  const [conv1Weight, conv1Bias, conv2Weight] = ['0.weight', '0.bias', '3.weight'].map((name) => model.stateDict()[name]!.contiguousData());
  for (let i = 0; i < 9; i++) conv1Weight![i]! *= RESCALE;
  conv1Bias![0]! *= RESCALE;
  const [outChannels, inChannels] = [64, 32];
  for (let o = 0; o < outChannels; o++) for (let k = 0; k < 9; k++) conv2Weight![(o * inChannels) * 9 + k]! /= RESCALE;
}

const args = parseArgs();
const models = (args['models'] ?? 'narrow,cnn-small,cnn-small-rescaled').split(',');
const epochs = numArg(args, 'epochs', 3);
const qatEpochs = numArg(args, 'qat-epochs', 2);
const calibrationSize = numArg(args, 'calibration', 512);
const lr = numArg(args, 'lr', 2e-3);
const qatLr = numArg(args, 'qat-lr', 2e-4);
const seed = numArg(args, 'seed', 1);
for (const name of models) {
  if (!Object.hasOwn(MODELS, name)) throw new Error(`--models: unknown model '${name}'; choose from ${Object.keys(MODELS).join(', ')}`);
}

const train = loadFashionMnist({ split: 'train' });
const test = loadFashionMnist({ split: 'test' });
const trainSet = new TensorDataset(train.images, train.labels);
const calibration = slice(train.images, [[0, calibrationSize]]);

/** Forward passes over the test split in chunks, without gradients. */
function testOutputs(forward: (x: Tensor) => Tensor): Tensor[] {
  const n = test.labels.shape[0]!;
  const outputs: Tensor[] = [];
  for (let start = 0; start < n; start += 500) outputs.push(noGrad(() => forward(slice(test.images, [[start, Math.min(n, start + 500)]]))));
  return outputs;
}

function accuracy(outputs: Tensor[]): number {
  const labels = test.labels.contiguousData();
  let correct = 0;
  let offset = 0;
  for (const out of outputs) {
    argmax(out, 1).contiguousData().forEach((c, i) => {
      if (c === labels[offset + i]) correct++;
    });
    offset += out.shape[0]!;
  }
  return correct / offset;
}

async function trainFor(model: Module, learningRate: number, epochCount: number, runSeed: number): Promise<number> {
  const started = performance.now();
  await fit(model, { train: trainSet, loss: 'cross-entropy', optimizer: new Adam(model.parameters(), { lr: learningRate }), epochs: epochCount, batchSize: 64, verbose: false, seed: runSeed });
  model.eval();
  return (performance.now() - started) / 1000;
}

function copyOf(spec: ModelSpec, model: SpecModel): SpecModel {
  const copy = buildModel(spec, { seed });
  copy.loadStateDict(model.stateDict());
  return copy;
}

const percent = (v: number): string => `${(100 * v).toFixed(2)}%`;
const delta = (v: number, base: number): string => `${v >= base ? '+' : ''}${(100 * (v - base)).toFixed(2)}`;

console.log(`QAT vs PTQ on the bundled Fashion-MNIST subset (${train.labels.shape[0]} train / ${test.labels.shape[0]} test images), ${backendChoice().reason}`);
console.log(`float: ${epochs} epochs, Adam lr ${lr}; QAT and control: ${qatEpochs} more epochs, Adam lr ${qatLr}; calibration: ${calibrationSize} training images; batch 64, seed ${seed}\n`);
const rows: string[][] = [];
for (const name of models) {
  const spec = MODELS[name]!;
  const model = buildModel(spec, { seed });
  const floatSeconds = await trainFor(model, lr, epochs, seed);
  if (name === 'cnn-small-rescaled') rescaleFirstChannel(model);
  const fp32 = accuracy(testOutputs((x) => model.forward(x)));
  const ptqMinmax = quantizeStatic(model, calibration, { method: 'minmax' });
  const minmax = accuracy(testOutputs((x) => ptqMinmax.forward(x)));
  const ptqPercentile = quantizeStatic(model, calibration, { method: 'percentile' });
  const percentile = accuracy(testOutputs((x) => ptqPercentile.forward(x)));

  const qat = prepareQat(model, { calibration });
  const qatSeconds = await trainFor(qat, qatLr, qatEpochs, seed + 1);
  const fake = testOutputs((x) => qat.forward(x));
  const integer = convertQat(qat);
  const converted = testOutputs((x) => integer.forward(x));
  let gap = 0;
  let largest = 0;
  fake.forEach((out, b) => {
    const f = out.contiguousData();
    const q = converted[b]!.contiguousData();
    for (let i = 0; i < f.length; i++) {
      gap = Math.max(gap, Math.abs(f[i]! - q[i]!));
      largest = Math.max(largest, Math.abs(f[i]!));
    }
  });

  const control = copyOf(spec, model);
  const controlSeconds = await trainFor(control, qatLr, qatEpochs, seed + 1);
  const controlFp32 = accuracy(testOutputs((x) => control.forward(x)));
  const controlQuantized = quantizeStatic(control, calibration, { method: 'minmax' });
  const controlPtq = accuracy(testOutputs((x) => controlQuantized.forward(x)));

  console.log(
    `${name}: float training ${floatSeconds.toFixed(1)} s, QAT ${qatSeconds.toFixed(1)} s, control ${controlSeconds.toFixed(1)} s; ` +
      `QAT eval vs its integer model: max |Δlogit| ${gap.toPrecision(3)} (${percent(gap / largest)} of the largest logit), accuracy ${percent(accuracy(fake))} vs ${percent(accuracy(converted))}`,
  );
  rows.push(
    [name, 'fp32', percent(fp32), ''],
    [name, 'PTQ int8 (minmax)', percent(minmax), delta(minmax, fp32)],
    [name, 'PTQ int8 (percentile)', percent(percentile), delta(percentile, fp32)],
    [name, `QAT int8 (+${qatEpochs} epochs)`, percent(accuracy(converted)), delta(accuracy(converted), fp32)],
    [name, `control fp32 (+${qatEpochs} epochs, no QAT)`, percent(controlFp32), delta(controlFp32, fp32)],
    [name, 'control PTQ int8 (minmax)', percent(controlPtq), delta(controlPtq, fp32)],
  );
}

const header = ['model', 'setting', 'test accuracy', 'Δ vs fp32 (points)'];
const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
const line = (cells: string[]): string => `| ${cells.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ')} |`;
console.log(`\n${line(header)}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n${rows.map(line).join('\n')}`);
