import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { distill } from '../../compress/distill/distill.js';
import { formatMeasurements, measureEnsemble, measureModel } from '../../compress/measure.js';
import { ArgumentError } from '../../errors.js';
import { loadFloatModelFile, saveModel, type LoadedFloatModel } from '../../io/model-file.js';
import { Ensemble } from '../../nn/layers/ensemble.js';
import type { Module } from '../../nn/module.js';
import { presetSpec } from '../../nn/presets.js';
import { buildModel, type ModelSpec, type SpecModel } from '../../nn/spec.js';
import { Adam } from '../../optim/adam.js';
import { fit } from '../../train/fit.js';
import { numberOption } from '../number-option.js';
import { AUGMENTATIONS, isAugmentation, type AugmentationName } from '../train-config.js';
import { augmentation } from '../train-run.js';
import { contentOf, dataForModel } from './prune.js';

/** Flags of `kiln distill`, as commander parses them. */
interface DistillFlags {
  teacher: string[];
  student: string;
  hidden?: number[];
  data: string;
  testData?: string;
  target?: string;
  temperature: number;
  alpha: number;
  epochs: number;
  batchSize: number;
  lr: number;
  seed?: number;
  augment: AugmentationName[];
  maxTrainSamples?: number;
  timingMs: number;
  out: string;
}

const num = numberOption;

/** Parses --augment: known augmentation names, comma-separated. */
function augmentations(value: string): AugmentationName[] {
  return value.split(',').map((name) => name.trim()).filter(Boolean).map((name) => {
    if (!isAugmentation(name)) throw new ArgumentError(`--augment: unknown augmentation '${name}'; known: ${AUGMENTATIONS.join(', ')}`);
    return name;
  });
}

/** The student's spec: a preset for the teacher's input and outputs, or a JSON spec file (its input defaults to the teacher's). */
async function studentSpec(flags: DistillFlags, input: number[], outputs: number): Promise<ModelSpec> {
  if (!flags.student.endsWith('.json')) return presetSpec(flags.student, { input, outputs, hidden: flags.hidden });
  let spec: Partial<ModelSpec>;
  try {
    spec = JSON.parse(await readFile(flags.student, 'utf8')) as Partial<ModelSpec>;
  } catch (error) {
    throw new ArgumentError(`--student ${flags.student}: cannot read the spec (${(error as Error).message})`);
  }
  return { ...spec, input: spec.input ?? input } as ModelSpec;
}

/**
 * Loads the teachers and checks that they can form an ensemble: the same input shape and preprocessing,
 * outputs, task and labels as the first, whose seed then chooses the data splits.
 */
async function loadTeachers(files: readonly string[]): Promise<LoadedFloatModel[]> {
  const teachers: LoadedFloatModel[] = [];
  for (const file of files) teachers.push(await loadFloatModelFile(file, 'distillation'));
  const [first, ...others] = teachers;
  others.forEach((other, i) => {
    const same = (what: string, theirs: unknown, firsts: unknown): void => {
      if (JSON.stringify(theirs) === JSON.stringify(firsts)) return;
      throw new ArgumentError(
        `--teacher ${files[i + 1]}: its ${what} ${JSON.stringify(theirs)} differs from ${files[0]}'s ${JSON.stringify(firsts)}; ` +
          'the teachers of an ensemble must share their inputs (shape and preprocessing), outputs, task and labels',
      );
    };
    same('input shape', other.model.spec.input, first!.model.spec.input);
    same('input preprocessing', other.metadata.input, first!.metadata.input);
    same('output shape', other.model.outputShape, first!.model.outputShape);
    same('task', other.metadata.task, first!.metadata.task);
    same('labels', other.metadata.labels, first!.metadata.labels);
  });
  return teachers;
}

/**
 * Refuses teachers trained with different seeds when the test split is drawn with the seed: each would
 * have trained on samples that the others are tested on.
 */
function checkTestSplit(teachers: readonly LoadedFloatModel[], files: readonly string[], data: { testSplitBySeed: boolean; seed: number }): void {
  if (!data.testSplitBySeed) return;
  teachers.forEach((teacher, i) => {
    const seed = teacher.metadata.provenance.seed;
    if (seed === data.seed) return;
    throw new ArgumentError(
      `--teacher ${files[i]}: trained with seed ${seed}, but the test split is drawn with seed ${data.seed}, so it has trained on test samples; ` +
        'give held-out --test-data that no teacher trained on, or teachers trained with the same --seed',
    );
  });
}

/** Trains the student alone and distilled from the teacher (or the ensemble of teachers), from the same initial weights, and returns the report. */
async function runDistill(flags: DistillFlags): Promise<string> {
  const teachers = await loadTeachers(flags.teacher);
  const loaded = teachers[0]!;
  const teacher: Module = teachers.length === 1 ? loaded.model : new Ensemble(teachers.map((t) => t.model));
  const data = await dataForModel(loaded, flags);
  checkTestSplit(teachers, flags.teacher, data);
  process.stderr.write(`data: ${data.description}\n`);
  const spec = await studentSpec(flags, loaded.model.spec.input, loaded.model.outputShape[0]!);
  const build = (): SpecModel => buildModel(spec, { seed: data.seed });
  const sizes = (m: Module): string => `${m.parameterCount().toLocaleString('en-US')} parameters`;
  const alone = build();
  if (alone.outputShape.join() !== loaded.model.outputShape.join()) {
    throw new ArgumentError(`--student: its outputs [${alone.outputShape.join(',')}] differ from the teacher's [${loaded.model.outputShape.join(',')}]`);
  }
  const teacherName = teachers.length === 1 ? 'teacher' : `teacher ensemble (${teachers.length})`;
  process.stderr.write(`${teacherName}: ${sizes(teacher)}; student: ${sizes(alone)} (${(teacher.parameterCount() / alone.parameterCount()).toFixed(1)}× fewer)\n`);
  const common = {
    train: data.train, validation: data.validation ?? undefined, epochs: flags.epochs, batchSize: flags.batchSize,
    metrics: ['accuracy'], seed: data.seed, augment: augmentation(flags.augment),
  };
  process.stderr.write('training the student alone (cross-entropy)\n');
  await fit(alone, { ...common, loss: 'cross-entropy', optimizer: new Adam(alone.parameters(), { lr: flags.lr }) });
  process.stderr.write(`distilling (temperature ${flags.temperature}, alpha ${flags.alpha})\n`);
  const student = build();
  await distill({ ...common, teacher, student, temperature: flags.temperature, alpha: flags.alpha, optimizer: new Adam(student.parameters(), { lr: flags.lr }) });
  student.eval();
  const timing = { timingMs: flags.timingMs };
  const teacherFiles = flags.teacher.length === 1 ? flags.teacher[0]! : flags.teacher;
  const provenance = { epochs: flags.epochs, distillation: { teacher: teacherFiles, temperature: flags.temperature, alpha: flags.alpha, epochs: flags.epochs, augment: flags.augment } };
  const rows = [
    teachers.length === 1 ? measureModel(teacherName, contentOf(loaded), data.test!, timing) : measureEnsemble(teacherName, teachers.map((t) => contentOf(t)), data.test!, timing),
    measureModel('student alone', contentOf(loaded, alone), data.test!, timing),
    measureModel('student distilled', contentOf(loaded, student, provenance), data.test!, timing),
  ];
  const distilled = rows[2]!;
  await saveModel(flags.out, { ...contentOf(loaded, student, provenance), metrics: distilled.accuracy === null ? {} : { accuracy: distilled.accuracy } });
  return `${formatMeasurements(rows)}\n\nsaved ${flags.out}`;
}

/** Registers `kiln distill`. */
export function registerDistillCommand(program: Command): void {
  program
    .command('distill')
    .description('train a small student model from a trained teacher, or an ensemble of them (knowledge distillation), and compare it with the teacher and the student trained alone')
    .requiredOption('--teacher <models...>', 'the trained .kiln model to learn from; several form an ensemble (the mean of their logits)')
    .requiredOption('--student <preset|spec.json>', "the student: 'cnn-small', 'mlp' (with --hidden), or a JSON model spec file")
    .option('--hidden <widths>', 'hidden widths of the mlp preset, e.g. 64', (v) => v.split(',').map((w) => num('--hidden')(w)))
    .option('--data <path>', 'the data the teacher was trained on (as for kiln train)', 'fashion-mnist')
    .option('--test-data <path>', 'held-out test data in the same form')
    .option('--target <column>', 'the target column (tables)')
    .option('--temperature <T>', 'softens the teacher and student distributions', num('--temperature'), 4)
    .option('--alpha <a>', 'weight of the teacher term (1 − alpha weighs the labels)', num('--alpha'), 0.9)
    .option('--epochs <n>', 'epochs for each student', num('--epochs'), 5)
    .option('--batch-size <n>', 'samples per batch', num('--batch-size'), 64)
    .option('--lr <rate>', 'learning rate (Adam)', num('--lr'), 0.001)
    .option('--seed <n>', "seed of the data splits, the student's initial weights and training (default: the (first) teacher's training seed, the only one allowed when the test split is drawn from --data)", num('--seed'))
    .option('--augment <list>', `random image augmentations for both students (the teacher sees the same augmented images): ${AUGMENTATIONS.join(',')}`, augmentations, [])
    .option('--max-train-samples <n>', 'train on at most n samples (quick runs)', num('--max-train-samples'))
    .option('--timing-ms <ms>', 'time spent measuring each of latency and throughput', num('--timing-ms'), 500)
    .requiredOption('--out <file>', 'where to save the distilled student')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  $ kiln distill --teacher fashion.kiln --student small-cnn.json --data fashion-mnist --epochs 5 --out student.kiln\n' +
        '  $ kiln distill --teacher fashion.kiln --student mlp --hidden 64 --temperature 4 --alpha 0.9 --out mlp.kiln\n' +
        '  $ kiln distill --teacher a.kiln b.kiln c.kiln --student cnn-small --temperature 4 --alpha 0.7 --out one.kiln',
    )
    .action(async (flags: DistillFlags) => {
      console.log(await runDistill(flags));
    });
}
