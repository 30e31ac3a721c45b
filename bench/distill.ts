/**
 * Knowledge distillation against training alone, on Fashion-MNIST (the full set from Debian's
 * dataset-fashion-mnist when installed, else the bundled subset; FMNIST_DIR chooses another folder):
 * trains the teacher (by default the reference CNN), then the same smaller student twice with the same
 * budget — on the labels alone, and distilled from the teacher — and prints parameters and test accuracy
 * side by side. Teacher and student share the reference CNN's layout: conv(w), pool, conv(2w), pool, a
 * hidden linear layer, the output layer.
 *
 * usage: node --import tsx bench/distill.ts [--teacher-epochs 4 --teacher-width 32 --teacher-dense 128
 *        --teacher-dropout 0 --epochs 6
 *        --settings 4:0.5,2:0.5 --lr 0.002 --width 16 --dense 32 --seed 1 --teacher-file t.safetensors]
 * --settings: temperature:alpha pairs, one student each. --width/--dense (student) and --teacher-width/--teacher-dense:
 * w and the hidden layer's width. --teacher-dropout: dropout before the teacher's two linear layers. --teacher-file: the teacher's weights are read from this file when it exists, else trained
 * and saved there, so several student runs can share one teacher.
 */
import { existsSync } from 'node:fs';
import {
  Adam,
  CosineAnnealingLR,
  LRSchedulerCallback,
  TensorDataset,
  argmax,
  backendChoice,
  buildModel,
  distill,
  fit,
  loadFashionMnist,
  loadSafetensors,
  noGrad,
  saveSafetensors,
  slice,
  type LayerSpec,
  type ModelSpec,
  type SpecModel,
  type Tensor,
} from '../src/index.js';
import { fashionMnistDir, numArg, parseArgs } from './common.js';

const args = parseArgs();
const teacherEpochs = numArg(args, 'teacher-epochs', 4);
const teacherWidth = numArg(args, 'teacher-width', 32);
const teacherDense = numArg(args, 'teacher-dense', 128);
const teacherDropout = numArg(args, 'teacher-dropout', 0);
const teacherFile = args['teacher-file'];
const epochs = numArg(args, 'epochs', 6);
const settings = (args['settings'] ?? '4:0.5').split(',').map((pair) => {
  const [temperature, alpha] = pair.split(':').map(Number);
  if (!(temperature! > 0) || !(alpha! >= 0 && alpha! <= 1)) throw new Error(`--settings: expected temperature:alpha pairs such as 4:0.5, got '${pair}'`);
  return { temperature: temperature!, alpha: alpha! };
});
const lr = numArg(args, 'lr', 2e-3);
const width = numArg(args, 'width', 16);
const dense = numArg(args, 'dense', 32);
const seed = numArg(args, 'seed', 1);

const { dir } = fashionMnistDir();
const train = loadFashionMnist({ split: 'train', dir });
const test = loadFashionMnist({ split: 'test', dir });
const trainSet = new TensorDataset(train.images, train.labels);

/** The reference CNN's layout with `width` and 2·`width` filters, a `dense`-wide hidden layer and `dropout` before each linear layer. */
function cnnSpec(width: number, dense: number, dropout = 0): ModelSpec {
  const linear = (out: number): LayerSpec[] => (dropout > 0 ? [{ type: 'dropout', p: dropout }, { type: 'linear', out }] : [{ type: 'linear', out }]);
  return {
    input: [1, 28, 28],
    layers: [
      { type: 'conv2d', out: width, kernel: 3 }, { type: 'relu' }, { type: 'maxPool2d', kernel: 2 },
      { type: 'conv2d', out: 2 * width, kernel: 3 }, { type: 'relu' }, { type: 'maxPool2d', kernel: 2 },
      { type: 'flatten' }, ...linear(dense), { type: 'relu' }, ...linear(10),
    ],
  };
}
const studentSpec = cnnSpec(width, dense);

function accuracy(model: SpecModel): number {
  model.eval();
  const labels = test.labels.contiguousData();
  const n = labels.length;
  let correct = 0;
  for (let start = 0; start < n; start += 1000) {
    const out: Tensor = noGrad(() => model.forward(slice(test.images, [[start, Math.min(n, start + 1000)]])));
    argmax(out, 1).contiguousData().forEach((c, i) => {
      if (c === labels[start + i]) correct++;
    });
  }
  return correct / n;
}

/** Adam with a cosine schedule over the run: the same recipe for every model. */
function recipe(model: SpecModel, runEpochs: number) {
  const optimizer = new Adam(model.parameters(), { lr });
  const steps = runEpochs * Math.ceil(train.labels.shape[0]! / 64);
  return { optimizer, callbacks: [new LRSchedulerCallback(new CosineAnnealingLR(optimizer, { tMax: steps }), { interval: 'batch' })] };
}

const common = { train: trainSet, batchSize: 64, metrics: ['accuracy'], verbose: false };
const seconds = (t0: number): string => `${((performance.now() - t0) / 1000).toFixed(0)} s`;
console.log(`distillation on ${dir} (${train.labels.shape[0]} train / ${test.labels.shape[0]} test images), ${backendChoice().reason}`);

let t0 = performance.now();
const teacher = buildModel(cnnSpec(teacherWidth, teacherDense, teacherDropout), { seed });
if (teacherFile !== undefined && existsSync(teacherFile)) {
  teacher.loadStateDict((await loadSafetensors(teacherFile)).tensors);
  console.log(`teacher: read from ${teacherFile}`);
} else {
  await fit(teacher, { ...common, ...recipe(teacher, teacherEpochs), loss: 'cross-entropy', epochs: teacherEpochs, seed });
  console.log(`teacher: ${teacherEpochs} epochs in ${seconds(t0)}`);
  if (teacherFile !== undefined) await saveSafetensors(teacherFile, { tensors: teacher.stateDict(), metadata: { epochs: String(teacherEpochs), width: String(teacherWidth), dense: String(teacherDense), dropout: String(teacherDropout) } });
}
const teacherAccuracy = accuracy(teacher);
console.log(`teacher: ${(100 * teacherAccuracy).toFixed(2)}%`);

t0 = performance.now();
const alone = buildModel(studentSpec, { seed: seed + 1 });
await fit(alone, { ...common, ...recipe(alone, epochs), loss: 'cross-entropy', epochs, seed: seed + 1 });
const aloneAccuracy = accuracy(alone);
console.log(`student alone: ${epochs} epochs in ${seconds(t0)}, ${(100 * aloneAccuracy).toFixed(2)}%`);

const rows: [string, number, number][] = [
  ['teacher', teacher.parameterCount(), teacherAccuracy],
  ['student alone', alone.parameterCount(), aloneAccuracy],
];
for (const { temperature, alpha } of settings) {
  t0 = performance.now();
  const student = buildModel(studentSpec, { seed: seed + 1 });
  await distill({ ...common, ...recipe(student, epochs), teacher, student, temperature, alpha, epochs, seed: seed + 1 });
  const distilledAccuracy = accuracy(student);
  console.log(`student distilled (T ${temperature}, alpha ${alpha}): ${epochs} epochs in ${seconds(t0)}, ${(100 * distilledAccuracy).toFixed(2)}%`);
  rows.push([`distilled T ${temperature} α ${alpha}`, student.parameterCount(), distilledAccuracy]);
}
console.log();
for (const [name, parameters, acc] of rows) {
  console.log(`${name.padEnd(20)} ${parameters.toLocaleString('en-US').padStart(9)} parameters (${(teacher.parameterCount() / parameters).toFixed(1)}× fewer)  ${(100 * acc).toFixed(2)}%  (${(100 * (acc - teacherAccuracy)).toFixed(2)} vs teacher)`);
}
