/**
 * The training configuration shared by `kiln train` (flags or a JSON file) and the quickstart, with
 * defaults and validation that names the offending field.
 */
import { ArgumentError } from '../errors.js';
import type { ModelSpec } from '../nn/spec.js';

export const OPTIMIZERS = ['adam', 'adamw', 'sgd', 'rmsprop', 'adagrad'] as const;
export const SCHEDULES = ['none', 'step', 'cosine', 'onecycle', 'plateau'] as const;
export const AUGMENTATIONS = ['flip', 'crop', 'affine', 'jitter'] as const;
/** The name of one of the random image augmentations the CLI offers. */
export type AugmentationName = (typeof AUGMENTATIONS)[number];

/** True when `name` names one of {@link AUGMENTATIONS}. */
export function isAugmentation(name: unknown): name is AugmentationName {
  return AUGMENTATIONS.includes(name as AugmentationName);
}

/** Everything a training run needs; every field but `data` has a default. */
export interface TrainConfig {
  data: string;
  testData?: string;
  target?: string;
  /** A preset name ('cnn-small', 'mlp') or a model spec (whose `input` may be omitted: it comes from the data). */
  model: string | (Omit<ModelSpec, 'input'> & { input?: number[] });
  /** Hidden widths of the mlp preset. */
  hidden?: number[];
  epochs: number;
  batchSize: number;
  optimizer: (typeof OPTIMIZERS)[number];
  lr: number;
  weightDecay: number;
  momentum: number;
  schedule: (typeof SCHEDULES)[number];
  /** Early-stopping patience in epochs; 0 turns early stopping off. */
  patience: number;
  validationSplit: number;
  testSplit: number;
  seed: number;
  out: string;
  /** Directory for resumable checkpoints (last.ckpt, best.ckpt). */
  checkpointDir?: string;
  /** Continue from checkpointDir/last.ckpt. */
  resume: boolean;
  imageSize?: [number, number];
  channels?: 1 | 3;
  augment: AugmentationName[];
  metrics: string[];
  /** A CSV or JSON-lines file to log every epoch to. */
  log?: string;
  /** Train on at most this many samples (quick runs); all when omitted. */
  maxTrainSamples?: number;
}

export const DEFAULTS: Omit<TrainConfig, 'data'> = {
  model: 'cnn-small',
  epochs: 10,
  batchSize: 64,
  optimizer: 'adam',
  lr: 1e-3,
  weightDecay: 0,
  momentum: 0.9,
  schedule: 'none',
  patience: 3,
  validationSplit: 0.1,
  testSplit: 0.15,
  seed: 0,
  out: 'model.kiln',
  resume: false,
  augment: [],
  metrics: ['accuracy'],
};

const KEYS = new Set<string>(['data', ...Object.keys(DEFAULTS), 'testData', 'target', 'hidden', 'checkpointDir', 'imageSize', 'channels', 'log', 'maxTrainSamples']);

function fail(field: string, problem: string): never {
  throw new ArgumentError(`training config: ${field} ${problem}`);
}

function number(raw: Record<string, unknown>, field: string, check: (v: number) => boolean, rule: string): void {
  const v = raw[field];
  if (v === undefined) return;
  if (typeof v !== 'number' || !Number.isFinite(v) || !check(v)) fail(field, `must be ${rule}, got ${JSON.stringify(v)}`);
}

function oneOf(raw: Record<string, unknown>, field: string, allowed: readonly string[]): void {
  const v = raw[field];
  if (v !== undefined && !allowed.includes(v as string)) fail(field, `must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
}

/** Validates a raw configuration (from JSON and/or flags) and fills in defaults. */
export function parseTrainConfig(raw: Record<string, unknown>): TrainConfig {
  for (const key of Object.keys(raw)) {
    if (!KEYS.has(key)) fail(key, `is not a training option; known options: ${[...KEYS].join(', ')}`);
  }
  if (typeof raw.data !== 'string' || raw.data === '') fail('data', "is required: 'fashion-mnist', an IDX folder, an image folder or a CSV/JSONL file");
  const positiveInt = (v: number) => Number.isInteger(v) && v > 0;
  number(raw, 'epochs', positiveInt, 'a positive integer');
  number(raw, 'batchSize', positiveInt, 'a positive integer');
  number(raw, 'lr', (v) => v > 0, 'a positive number');
  number(raw, 'weightDecay', (v) => v >= 0, 'a non-negative number');
  number(raw, 'momentum', (v) => v >= 0 && v < 1, 'in [0, 1)');
  number(raw, 'patience', (v) => Number.isInteger(v) && v >= 0, 'a non-negative integer (0 turns early stopping off)');
  number(raw, 'validationSplit', (v) => v >= 0 && v < 1, 'a fraction in [0, 1)');
  number(raw, 'testSplit', (v) => v >= 0 && v < 1, 'a fraction in [0, 1)');
  number(raw, 'seed', Number.isInteger, 'an integer');
  number(raw, 'maxTrainSamples', positiveInt, 'a positive integer');
  oneOf(raw, 'optimizer', OPTIMIZERS);
  oneOf(raw, 'schedule', SCHEDULES);
  if (raw.channels !== undefined && raw.channels !== 1 && raw.channels !== 3) fail('channels', `must be 1 or 3, got ${JSON.stringify(raw.channels)}`);
  if (raw.imageSize !== undefined) {
    const size = raw.imageSize;
    if (!Array.isArray(size) || size.length !== 2 || !size.every((d) => Number.isInteger(d) && d > 0)) fail('imageSize', `must be [height, width], got ${JSON.stringify(size)}`);
  }
  if (raw.augment !== undefined) {
    if (!Array.isArray(raw.augment)) fail('augment', `must be a list of ${AUGMENTATIONS.join(', ')}`);
    for (const a of raw.augment) if (!isAugmentation(a)) fail('augment', `has unknown augmentation ${JSON.stringify(a)}; known: ${AUGMENTATIONS.join(', ')}`);
  }
  if (raw.metrics !== undefined && (!Array.isArray(raw.metrics) || !raw.metrics.every((m) => typeof m === 'string'))) fail('metrics', 'must be a list of metric names');
  if (raw.hidden !== undefined && (!Array.isArray(raw.hidden) || !raw.hidden.every((d) => Number.isInteger(d) && d > 0))) fail('hidden', `must be a list of positive widths, got ${JSON.stringify(raw.hidden)}`);
  if (raw.model !== undefined && typeof raw.model !== 'string' && (typeof raw.model !== 'object' || raw.model === null || !Array.isArray((raw.model as { layers?: unknown }).layers))) {
    fail('model', 'must be a preset name or a spec { "layers": [...] }');
  }
  return { ...DEFAULTS, ...raw } as TrainConfig;
}
