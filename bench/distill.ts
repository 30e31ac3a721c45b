/**
 * Knowledge distillation against training alone, on Fashion-MNIST (the full set from Debian's
 * dataset-fashion-mnist when installed, else the bundled subset; FMNIST_DIR chooses another folder):
 * trains the teacher (by default the reference CNN; with --teachers K an ensemble of K of them, each from
 * its own seed), then a smaller student with the same budget on the labels alone and distilled from the
 * teacher with each setting, from the same initial weights, and prints parameters and test accuracy side by
 * side. Teacher and student
 * share the reference CNN's layout: conv(w), pool, conv(2w), pool, a hidden linear layer, the output layer.
 *
 * usage: node --import tsx bench/distill.ts [--teacher-epochs 4 --teacher-width 32 --teacher-dense 128
 *        --teacher-dropout 0 --teachers 1 --epochs 6 --settings 4:0.5,2:0.5 --lr 0.002 --width 16
 *        --dense 32 --seed 1 --repeats 1 --teacher-file t.safetensors --augment]
 * --settings: temperature:alpha pairs, one student each. --width/--dense (student) and
 * --teacher-width/--teacher-dense: w and the hidden layer's width. --teacher-dropout: dropout before the
 * teacher's two linear layers. --teacher-file: the teacher's weights are read from this file when it
 * exists, else trained and saved there, so several student runs can share one teacher (ensemble member k
 * > 0 uses t-k.safetensors). --augment: random 2-pixel shifts and horizontal flips for every model.
 * --repeats N: N student seeds, each training the student alone and with every setting; the table gives
 * the means and each seed's accuracy.
 */
import { existsSync } from 'node:fs';
import {
  Adam,
  CosineAnnealingLR,
  LRSchedulerCallback,
  Ensemble,
  type Module,
  TensorDataset,
  argmax,
  backendChoice,
  buildModel,
  composeAugmentations,
  distill,
  fit,
  loadFashionMnist,
  loadSafetensors,
  noGrad,
  randomCrop,
  randomHorizontalFlip,
  saveSafetensors,
  slice,
  type LayerSpec,
  type ModelSpec,
  type SpecModel,
  type Tensor,
} from '../src/index.js';
import { fashionMnistDir, numArg, parseArgs } from './common.js';

const args = parseArgs();
/** A whole-number argument of at least 1, or `fallback`. */
function countArg(name: string, fallback: number): number {
  const value = numArg(args, name, fallback);
  if (!Number.isInteger(value)) throw new Error(`--${name} must be a whole number, got ${value}`);
  return value;
}
const teacherEpochs = numArg(args, 'teacher-epochs', 4);
const teacherWidth = numArg(args, 'teacher-width', 32);
const teacherDense = numArg(args, 'teacher-dense', 128);
const teacherDropout = numArg(args, 'teacher-dropout', 0);
const teacherFile = args['teacher-file'];
const teacherCount = countArg('teachers', 1);
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
const repeats = countArg('repeats', 1);
// The same random shifts and flips for every model, teacher included: the teacher labels the very images the student sees.
if (args['augment'] !== undefined && args['augment'] !== 'true') throw new Error(`--augment takes no value, got '${args['augment']}'`);
const augment = args['augment'] === 'true' ? composeAugmentations([randomCrop({ padding: 2 }), randomHorizontalFlip()]) : undefined;

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

function accuracy(model: Module): number {
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

const common = { train: trainSet, batchSize: 64, metrics: ['accuracy'], verbose: false, augment };
const seconds = (t0: number): string => `${((performance.now() - t0) / 1000).toFixed(0)} s`;
console.log(`distillation on ${dir} (${train.labels.shape[0]} train / ${test.labels.shape[0]} test images), ${backendChoice().reason}`);

const teacherRecipe: Record<string, string> = {
  epochs: String(teacherEpochs), width: String(teacherWidth), dense: String(teacherDense), dropout: String(teacherDropout), augment: String(augment !== undefined),
};
const t0 = performance.now();
const members: SpecModel[] = [];
for (let k = 0; k < teacherCount; k++) {
  const memberSeed = seed + 100 * k;
  const member = buildModel(cnnSpec(teacherWidth, teacherDense, teacherDropout), { seed: memberSeed });
  const file = teacherFile === undefined ? undefined : k === 0 ? teacherFile : teacherFile.replace(/(\.safetensors)?$/, `-${k}$1`);
  if (file !== undefined && existsSync(file)) {
    const saved = await loadSafetensors(file);
    // A teacher trained another way must not stand in silently for the one asked for.
    for (const [key, value] of Object.entries(teacherRecipe)) {
      if (saved.metadata[key] !== value) throw new Error(`${file}: a teacher trained with ${key} ${saved.metadata[key]}, not ${value}; delete it or give another --teacher-file`);
    }
    member.loadStateDict(saved.tensors);
    console.log(`teacher ${k}: read from ${file}`);
  } else {
    await fit(member, { ...common, ...recipe(member, teacherEpochs), loss: 'cross-entropy', epochs: teacherEpochs, seed: memberSeed });
    console.log(`teacher ${k}: ${teacherEpochs} epochs in ${seconds(t0)}`);
    if (file !== undefined) await saveSafetensors(file, { tensors: member.stateDict(), metadata: teacherRecipe });
  }
  if (teacherCount > 1) console.log(`teacher ${k}: ${(100 * accuracy(member)).toFixed(2)}%`);
  members.push(member);
}
const teacher = teacherCount === 1 ? members[0]! : new Ensemble(members);
const teacherAccuracy = accuracy(teacher);
console.log(`teacher: ${(100 * teacherAccuracy).toFixed(2)}%`);

/** Trains one student from `studentSeed`, alone (no setting) or distilled, and returns its test accuracy. */
async function trainStudent(studentSeed: number, setting?: { temperature: number; alpha: number }): Promise<number> {
  const started = performance.now();
  const student = buildModel(studentSpec, { seed: studentSeed });
  const run = { ...common, ...recipe(student, epochs), epochs, seed: studentSeed };
  if (setting === undefined) await fit(student, { ...run, loss: 'cross-entropy' });
  else await distill({ ...run, ...setting, teacher, student });
  const acc = accuracy(student);
  const what = setting === undefined ? 'alone' : `distilled (T ${setting.temperature}, alpha ${setting.alpha})`;
  console.log(`student ${what}, seed ${studentSeed}: ${epochs} epochs in ${seconds(started)}, ${(100 * acc).toFixed(2)}%`);
  return acc;
}

// Each student seed trains every variant, so the comparison is paired: same initial weights, same batches.
const studentSeeds = Array.from({ length: repeats }, (_, i) => seed + 1 + i);
const variants: { name: string; setting?: { temperature: number; alpha: number } }[] = [
  { name: 'student alone' },
  ...settings.map((setting) => ({ name: `distilled T ${setting.temperature} α ${setting.alpha}`, setting })),
];
const results = variants.map(() => [] as number[]);
for (const studentSeed of studentSeeds) {
  for (const [i, variant] of variants.entries()) results[i]!.push(await trainStudent(studentSeed, variant.setting));
}

const percent = (x: number): string => `${(100 * x).toFixed(2)}%`;
const studentParameters = buildModel(studentSpec).parameterCount();
console.log(`\n${'model'.padEnd(22)} ${'parameters'.padStart(10)}  ${'fewer'.padStart(6)}  ${repeats > 1 ? `mean of ${repeats}`.padStart(10) : 'accuracy'.padStart(10)}  vs teacher  vs alone  ${repeats > 1 ? 'per seed' : ''}`);
console.log(`${(teacherCount > 1 ? `teacher ensemble (${teacherCount})` : 'teacher').padEnd(22)} ${teacher.parameterCount().toLocaleString('en-US').padStart(10)}  ${'1.0×'.padStart(6)}  ${percent(teacherAccuracy).padStart(10)}`);
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
for (const [i, variant] of variants.entries()) {
  const accuracies = results[i]!;
  const vsTeacher = (100 * (mean(accuracies) - teacherAccuracy)).toFixed(2);
  const vsAlone = i === 0 ? '' : (100 * (mean(accuracies) - mean(results[0]!))).toFixed(2);
  const perSeed = repeats > 1 ? accuracies.map(percent).join(' ') : '';
  console.log(`${variant.name.padEnd(22)} ${studentParameters.toLocaleString('en-US').padStart(10)}  ${`${(teacher.parameterCount() / studentParameters).toFixed(1)}×`.padStart(6)}  ${percent(mean(accuracies)).padStart(10)}  ${vsTeacher.padStart(10)}  ${vsAlone.padStart(8)}  ${perSeed}`);
}
