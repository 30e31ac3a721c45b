import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { ArgumentError } from '../../errors.js';
import { AUGMENTATIONS, OPTIMIZERS, SCHEDULES, parseTrainConfig } from '../train-config.js';
import { numberOption, parseNumberOption } from '../number-option.js';
import { runTraining, type TrainResult } from '../train-run.js';

/** Flags as commander parses them (all optional; the config file and defaults fill the rest). */
interface TrainFlags {
  config?: string;
  data?: string;
  testData?: string;
  target?: string;
  model?: string;
  hidden?: number[];
  epochs?: number;
  batchSize?: number;
  optimizer?: string;
  lr?: number;
  weightDecay?: number;
  momentum?: number;
  schedule?: string;
  patience?: number;
  validationSplit?: number;
  testSplit?: number;
  seed?: number;
  out?: string;
  checkpointDir?: string;
  resume?: boolean;
  imageSize?: [number, number];
  channels?: number;
  augment?: string[];
  metrics?: string[];
  log?: string;
  maxTrainSamples?: number;
}

const num = numberOption;
const list = (value: string) => value.split(',').map((s) => s.trim()).filter(Boolean);

/** A `--model` value: a preset name, or a path to a JSON model spec. */
async function resolveModel(model: string): Promise<unknown> {
  if (!model.endsWith('.json')) return model;
  try {
    return JSON.parse(await readFile(model, 'utf8'));
  } catch (error) {
    throw new ArgumentError(`--model ${model}: cannot read the spec (${(error as Error).message})`);
  }
}

/** Prints what a run achieved. */
export function formatTrainResult(result: TrainResult): string {
  const last = result.history.epochs.at(-1)?.logs ?? {};
  const lines = [
    `trained ${result.history.epochs.length} epoch${result.history.epochs.length === 1 ? '' : 's'} in ${result.seconds.toFixed(1)} s` +
      (result.history.stopReason ? ` (${result.history.stopReason})` : ''),
  ];
  if (last.val_loss !== undefined) lines.push(`validation: loss ${last.val_loss.toFixed(4)}${last.val_accuracy !== undefined ? `, accuracy ${(100 * last.val_accuracy).toFixed(2)}%` : ''}`);
  if (result.testMetrics) {
    lines.push(
      'test: ' +
        Object.entries(result.testMetrics)
          .map(([k, v]) => (k === 'accuracy' ? `accuracy ${(100 * v).toFixed(2)}%` : `${k} ${v.toFixed(4)}`))
          .join(', '),
    );
  }
  lines.push(`saved ${result.out}`);
  return lines.join('\n');
}

/** Registers `kiln train`. */
export function registerTrainCommand(program: Command): void {
  program
    .command('train')
    .description('train a model on a dataset and save it as a .kiln file')
    .option('--config <file>', 'a JSON file with any of the options below (camelCase); flags override it')
    .option('--data <path>', "'fashion-mnist' (bundled subset), an IDX folder, an image folder root/<class>/*.png, or a .csv/.jsonl table")
    .option('--test-data <path>', 'held-out test data in the same form (default: a split of --data, or its t10k files)')
    .option('--target <column>', 'the column to predict (tables)')
    .option('--model <preset|spec.json>', "'cnn-small', 'mlp', or a JSON model spec file")
    .option('--hidden <widths>', 'hidden layer widths of the mlp preset, e.g. 128,64', (v) => list(v).map((w) => parseNumberOption(w, '--hidden')))
    .option('--epochs <n>', 'maximum epochs (early stopping may end sooner)', num('--epochs'))
    .option('--batch-size <n>', 'samples per batch', num('--batch-size'))
    .addOption(new Option('--optimizer <name>', 'the optimizer').choices([...OPTIMIZERS]))
    .option('--lr <rate>', 'learning rate', num('--lr'))
    .option('--weight-decay <w>', 'weight decay', num('--weight-decay'))
    .option('--momentum <m>', 'momentum (sgd)', num('--momentum'))
    .addOption(new Option('--schedule <name>', 'learning-rate schedule').choices([...SCHEDULES]))
    .option('--patience <epochs>', 'early stopping: epochs without validation improvement (0 = off)', num('--patience'))
    .option('--validation-split <f>', 'fraction of training data held out for validation', num('--validation-split'))
    .option('--test-split <f>', 'fraction held out for testing when there is no --test-data', num('--test-split'))
    .option('--seed <n>', 'seed for initialization, shuffling, dropout and splits', num('--seed'))
    .option('--out <file>', 'where to save the model')
    .option('--checkpoint-dir <dir>', 'save resumable checkpoints (last.ckpt, best.ckpt) here')
    .option('--resume', 'continue from <checkpoint-dir>/last.ckpt')
    .option('--image-size <HxW>', 'resize images to this size, e.g. 64x64', (v) => {
      const m = /^(\d+)x(\d+)$/.exec(v);
      if (!m) throw new ArgumentError(`--image-size: expected HxW such as 64x64, got '${v}'`);
      return [Number(m[1]), Number(m[2])];
    })
    .option('--channels <n>', '1 (grayscale) or 3 (RGB)', num('--channels'))
    .option('--augment <list>', `training augmentations: ${AUGMENTATIONS.join(',')}`, list)
    .option('--metrics <list>', 'metrics to report, e.g. accuracy,f1', list)
    .option('--log <file>', 'log every epoch to a .csv or .jsonl file')
    .option('--max-train-samples <n>', 'train on at most n samples (quick runs)', num('--max-train-samples'))
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  $ kiln train --data fashion-mnist --epochs 5 --out fashion.kiln\n' +
        '  $ kiln train --data datasets/sneaker-vs-sandal --image-size 28x28 --channels 1 --augment flip --out shoes.kiln\n' +
        '  $ kiln train --data houses.csv --target price --model mlp --hidden 64,32 --out houses.kiln\n' +
        '  $ kiln train --config train.json --resume',
    )
    .action(async (flags: TrainFlags) => {
      const raw: Record<string, unknown> = flags.config ? await readConfigFile(flags.config) : {};
      for (const [key, value] of Object.entries(flags)) if (key !== 'config' && value !== undefined) raw[key] = value;
      if (typeof raw.model === 'string') raw.model = await resolveModel(raw.model);
      const result = await runTraining(parseTrainConfig(raw));
      console.log(formatTrainResult(result));
    });
}

async function readConfigFile(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ArgumentError(`--config ${path}: cannot read it (${(error as Error).message})`);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('expected a JSON object');
    return parsed as Record<string, unknown>;
  } catch (error) {
    throw new ArgumentError(`--config ${path}: not a JSON object of options (${(error as Error).message})`);
  }
}
