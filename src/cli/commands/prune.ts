import { Command, Option } from 'commander';
import { formatMeasurements, formatSparseLayers, formatTable, measureModel, type ModelMeasurement } from '../../compress/measure.js';
import { removeMaskedChannels } from '../../compress/prune/channel-masks.js';
import { bake } from '../../compress/prune/masks.js';
import { pruneMagnitude, pruneNM } from '../../compress/prune/prune.js';
import { PruningCallback } from '../../compress/prune/pruning-callback.js';
import { iterative, oneShot, polynomialDecay, type PruningSchedule } from '../../compress/prune/schedules.js';
import { sparsityReport } from '../../compress/prune/sparsity.js';
import { pruneChannels, type ChannelPruningResult } from '../../compress/prune/structured.js';
import { ArgumentError, DataError } from '../../errors.js';
import { loadFloatModelFile, saveModel, type LoadedFloatModel, type LoadedModel, type ModelFileContent } from '../../io/model-file.js';
import type { SpecModel } from '../../nn/spec.js';
import { Adam } from '../../optim/adam.js';
import { sameShape } from '../../tensor/shape.js';
import { fit } from '../../train/fit.js';
import { numberOption } from '../number-option.js';
import { prepareData, type PreparedData } from '../training-data.js';

/** Flags of `kiln prune`, as commander parses them. */
interface PruneFlags {
  data: string;
  testData?: string;
  target?: string;
  sparsity: number;
  structured?: boolean;
  norm: 'l1' | 'l2';
  nm?: [number, number];
  schedule: 'oneshot' | 'iterative' | 'polynomial';
  scope: 'layer' | 'global';
  finetuneEpochs: number;
  lr: number;
  batchSize: number;
  seed?: number;
  maxTrainSamples?: number;
  timingMs: number;
  out: string;
}

const num = numberOption;

/** Loads the data a model was trained on, shaped as the model takes it (image size and channels from the file). */
export async function dataForModel(loaded: LoadedModel, flags: { data: string; testData?: string; target?: string; seed?: number; maxTrainSamples?: number }): Promise<PreparedData & { seed: number }> {
  const input = loaded.metadata.input;
  // The model's own seed reproduces the splits it was trained with, so its test split stays unseen.
  const seed = flags.seed ?? loaded.metadata.provenance.seed ?? 0;
  const data = await prepareData({
    data: flags.data, testData: flags.testData, target: flags.target, validationSplit: 0.1, testSplit: 0.15, seed,
    ...(input.kind === 'image' ? { imageSize: input.size, channels: input.channels } : {}),
  });
  if (!sameShape(data.sampleShape, loaded.model.spec.input)) {
    throw new DataError(`data: ${flags.data} gives samples of shape [${data.sampleShape.join(',')}] but the model takes [${loaded.model.spec.input.join(',')}]`);
  }
  if (data.test === null) throw new DataError(`data: ${flags.data} has no test split to measure accuracy on; give --test-data`);
  const trainedSeed = loaded.metadata.provenance.seed;
  if (data.testSplitBySeed && trainedSeed !== null && seed !== trainedSeed) {
    throw new ArgumentError(
      `--seed ${seed}: the model was trained with seed ${trainedSeed}, and ${flags.data} has no separate test set, so the test split is drawn with the seed ` +
        'and another seed would test on samples the model trained on; drop --seed, or give held-out --test-data',
    );
  }
  if (flags.maxTrainSamples !== undefined && flags.maxTrainSamples < data.train.length) {
    data.train = data.train.subset(Int32Array.from({ length: flags.maxTrainSamples }, (_, i) => i));
  }
  return { ...data, seed };
}

/** The file content of `model` with the loaded file's task, labels and input. */
export function contentOf(loaded: LoadedFloatModel, model: SpecModel = loaded.model, provenance: Record<string, unknown> = {}): ModelFileContent & { model: SpecModel } {
  const { task, labels, input, provenance: original } = loaded.metadata;
  return { model, task, labels, input, provenance: { seed: original.seed, dataHash: original.dataHash, epochs: original.epochs, ...provenance } };
}

function scheduleFor(flags: PruneFlags, totalSteps: number): PruningSchedule {
  if (flags.schedule === 'oneshot') return oneShot({ sparsity: flags.sparsity });
  if (totalSteps < 2) throw new ArgumentError(`--schedule ${flags.schedule} prunes while fine-tuning; give --finetune-epochs ≥ 1`);
  // Prune over the first two thirds of fine-tuning and let the last third recover at the final sparsity.
  const frequency = Math.max(1, Math.floor(totalSteps / 30));
  const endStep = Math.max(frequency, Math.floor((2 * totalSteps) / 3 / frequency) * frequency);
  return flags.schedule === 'iterative'
    ? iterative({ sparsity: flags.sparsity, rounds: 3, endStep })
    : polynomialDecay({ finalSparsity: flags.sparsity, endStep, frequency });
}

/** Prunes as the flags say and returns the report. */
async function runPrune(modelPath: string, flags: PruneFlags): Promise<string> {
  if (flags.structured && flags.nm) throw new ArgumentError('--structured and --nm are different kinds of pruning; choose one');
  if (!Number.isInteger(flags.finetuneEpochs) || flags.finetuneEpochs < 0) throw new ArgumentError(`--finetune-epochs must be a whole number ≥ 0, got ${flags.finetuneEpochs}`);
  const loaded = await loadFloatModelFile(modelPath, 'pruning');
  const data = await dataForModel(loaded, flags);
  process.stderr.write(`data: ${data.description}\n`);
  const before = measureModel('original', contentOf(loaded), data.test!, { timingMs: flags.timingMs });
  const layerSparsityBefore = sparsityReport(loaded.model).weights;

  let model = loaded.model;
  let method: string;
  let target = flags.sparsity;
  let callback: PruningCallback | null = null;
  let channels: ChannelPruningResult | null = null;
  const steps = flags.finetuneEpochs * Math.ceil(data.train.length / flags.batchSize);
  if (flags.structured) {
    method = `structured ${flags.norm.toUpperCase()} channel pruning`;
    // At once, the channels go before fine-tuning, which then trains the smaller model; by a schedule,
    // they are masked while fine-tuning and removed after it.
    if (flags.schedule === 'oneshot') {
      channels = pruneChannels(model, { sparsity: flags.sparsity, norm: flags.norm });
      model = channels.model;
    } else {
      const schedule = scheduleFor(flags, steps);
      method += `, ${schedule.description}`;
      callback = new PruningCallback({ schedule, channels: { norm: flags.norm } });
    }
  } else if (flags.nm) {
    const [n, m] = flags.nm;
    pruneNM(model, { n, m });
    method = `${n}:${m} sparsity`;
    target = 1 - n / m;
    callback = new PruningCallback();
  } else {
    const schedule = scheduleFor(flags, steps);
    method = `magnitude pruning (${flags.scope}), ${schedule.description}`;
    if (flags.finetuneEpochs === 0) pruneMagnitude(model, { sparsity: flags.sparsity, scope: flags.scope });
    else callback = new PruningCallback({ schedule, scope: flags.scope });
  }
  process.stderr.write(`pruning: ${method}\n`);
  if (flags.finetuneEpochs > 0) {
    model.train();
    await fit(model, {
      train: data.train, validation: data.validation ?? undefined, loss: data.task === 'classification' ? 'cross-entropy' : 'mse',
      optimizer: new Adam(model.parameters(), { lr: flags.lr }), epochs: flags.finetuneEpochs, batchSize: flags.batchSize,
      metrics: data.task === 'classification' ? ['accuracy'] : [], callbacks: callback ? [callback] : [], seed: data.seed,
    });
  }
  if (flags.structured && flags.schedule !== 'oneshot') {
    channels = removeMaskedChannels(model);
    model = channels.model;
  }
  const channelLines = channels === null ? [] : [
    ...channels.pruned.map((p) => [`layers[${p.index}] ${p.type}`, String(p.before), String(p.after), '']),
    ...channels.skipped.map((s) => [`layers[${s.index}] ${loaded.model.spec.layers[s.index]!.type}`, String(loaded.model.stateDict()[`${s.index}.weight`]!.shape[0]), '(kept)', s.reason]),
  ];
  bake(model);
  model.eval();
  const content = contentOf(loaded, model, {
    epochs: (loaded.metadata.provenance.epochs ?? 0) + flags.finetuneEpochs,
    pruning: { method, sparsity: target, finetuneEpochs: flags.finetuneEpochs },
  });
  const after = measureModel('pruned', content, data.test!, { sparse: !flags.structured, timingMs: flags.timingMs });
  await saveModel(flags.out, { ...content, metrics: after.accuracy === null ? {} : { accuracy: after.accuracy }, sparse: !flags.structured });
  return formatReport(method, layerSparsityBefore, sparsityReport(model).weights, channelLines, [before, after], flags.out);
}

function formatReport(
  method: string,
  before: ReturnType<typeof sparsityReport>['weights'],
  after: ReturnType<typeof sparsityReport>['weights'],
  channels: string[][],
  rows: ModelMeasurement[],
  out: string,
): string {
  const sections = [`${method}`, ''];
  if (channels.length) sections.push(formatTable(['layer', 'channels before', 'after', 'note'], channels), '');
  else {
    const layerRows = after.map((w, i) => [w.name, `[${w.shape.join('×')}]`, `${(100 * (before[i]?.sparsity ?? 0)).toFixed(1)}%`, `${(100 * w.sparsity).toFixed(1)}%`]);
    sections.push(formatTable(['weight', 'shape', 'sparsity before', 'after'], layerRows), '');
  }
  sections.push(formatMeasurements(rows), formatSparseLayers(rows.at(-1)!.sparseLayers), '', `saved ${out}`);
  return sections.join('\n');
}

/** Registers `kiln prune`. */
export function registerPruneCommand(program: Command): void {
  program
    .command('prune')
    .description('prune a trained model (magnitude, N:M or structured channels), fine-tune it, and compare it with the original')
    .argument('<model>', 'a .kiln model file')
    .option('--data <path>', 'the data the model was trained on (as for kiln train); fine-tuning uses its training split, accuracy its test split', 'fashion-mnist')
    .option('--test-data <path>', 'held-out test data in the same form')
    .option('--target <column>', 'the target column (tables)')
    .option('--sparsity <f>', 'fraction of weights (or, with --structured, of channels) to remove', num('--sparsity'), 0.5)
    .option('--structured', 'remove whole conv filters / linear features, giving a smaller dense model')
    .addOption(new Option('--norm <norm>', 'filter importance for --structured').choices(['l1', 'l2']).default('l1'))
    .option('--nm <N:M>', 'N:M sparsity along input channels, e.g. 2:4 (ignores --sparsity)', (v) => {
      const m = /^(\d+):(\d+)$/.exec(v);
      if (!m) throw new ArgumentError(`--nm: expected N:M such as 2:4, got '${v}'`);
      return [Number(m[1]), Number(m[2])];
    })
    .addOption(new Option('--schedule <name>', 'when to prune: at once, in 3 rounds, or by polynomial decay while fine-tuning (with --structured, channels are masked by the schedule and removed after fine-tuning)').choices(['oneshot', 'iterative', 'polynomial']).default('oneshot'))
    .addOption(new Option('--scope <scope>', 'per-layer or global magnitude threshold (unstructured)').choices(['layer', 'global']).default('layer'))
    .option('--finetune-epochs <n>', 'epochs of fine-tuning after (or while) pruning', num('--finetune-epochs'), 2)
    .option('--lr <rate>', 'fine-tuning learning rate (Adam)', num('--lr'), 0.001)
    .option('--batch-size <n>', 'fine-tuning batch size', num('--batch-size'), 64)
    .option('--seed <n>', 'seed of the data splits and fine-tuning (default: the model\'s training seed, the only one allowed when the test split is drawn from --data)', num('--seed'))
    .option('--max-train-samples <n>', 'fine-tune on at most n samples (quick runs)', num('--max-train-samples'))
    .option('--timing-ms <ms>', 'time spent measuring each of latency and throughput', num('--timing-ms'), 500)
    .requiredOption('--out <file>', 'where to save the pruned model')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  $ kiln prune fashion.kiln --data fashion-mnist --sparsity 0.75 --schedule polynomial --finetune-epochs 3 --out sparse.kiln\n' +
        '  $ kiln prune fashion.kiln --structured --sparsity 0.5 --finetune-epochs 2 --out slim.kiln\n' +
        '  $ kiln prune fashion.kiln --structured --sparsity 0.5 --schedule iterative --finetune-epochs 3 --out slim.kiln\n' +
        '  $ kiln prune fashion.kiln --nm 2:4 --finetune-epochs 1 --out nm.kiln',
    )
    .action(async (modelPath: string, flags: PruneFlags) => {
      console.log(await runPrune(modelPath, flags));
    });
}
