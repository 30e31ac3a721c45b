/**
 * One training run from a {@link TrainConfig}: prepare the data, build the model, train with early
 * stopping and checkpoints, evaluate on the test split, and save the model file. `kiln train` and the
 * quickstart both run it.
 */
import { join } from 'node:path';
import { colorJitter, composeAugmentations, randomAffine, randomCrop, randomHorizontalFlip } from '../data/augment.js';
import type { BatchTransform } from '../data/data-loader.js';
import { ArgumentError } from '../errors.js';
import { saveModel } from '../io/model-file.js';
import { lossFromName } from '../losses/registry.js';
import { presetSpec } from '../nn/presets.js';
import { buildModel, type ModelSpec, type SpecModel } from '../nn/spec.js';
import { Adagrad } from '../optim/adagrad.js';
import { Adam } from '../optim/adam.js';
import { AdamW } from '../optim/adamw.js';
import type { Optimizer } from '../optim/optimizer.js';
import { RMSprop } from '../optim/rmsprop.js';
import { CosineAnnealingLR } from '../optim/schedules/cosine-annealing-lr.js';
import { OneCycleLR } from '../optim/schedules/one-cycle-lr.js';
import { ReduceLROnPlateau } from '../optim/schedules/reduce-lr-on-plateau.js';
import { StepLR } from '../optim/schedules/step-lr.js';
import { SGD } from '../optim/sgd.js';
import type { Callback, History } from '../train/callbacks/callback.js';
import { EarlyStopping } from '../train/callbacks/early-stopping.js';
import { LRSchedulerCallback } from '../train/callbacks/lr-scheduler-callback.js';
import { MetricsLogger } from '../train/callbacks/metrics-logger.js';
import { ModelCheckpoint } from '../train/callbacks/model-checkpoint.js';
import type { ProgressStream } from '../train/callbacks/progress.js';
import { evaluate } from '../train/evaluate.js';
import { fit } from '../train/fit.js';
import type { AugmentationName, TrainConfig } from './train-config.js';
import { prepareData, type PreparedData } from './training-data.js';

/** What a run produced. */
export interface TrainResult {
  model: SpecModel;
  data: PreparedData;
  history: History;
  /** Metrics on the test split (with `loss`), or null without test data. */
  testMetrics: Record<string, number> | null;
  out: string;
  seconds: number;
}

function modelSpec(config: TrainConfig, data: PreparedData): ModelSpec {
  const outputs = data.labels?.length ?? data.train.targets.shape[1] ?? 1;
  if (typeof config.model === 'string') {
    return presetSpec(config.model, { input: data.sampleShape, outputs, hidden: config.hidden });
  }
  return { ...config.model, input: config.model.input ?? data.sampleShape };
}

function makeOptimizer(config: TrainConfig, model: SpecModel): Optimizer {
  const params = model.parameters();
  const { lr, weightDecay, momentum } = config;
  switch (config.optimizer) {
    case 'adam':
      return new Adam(params, { lr, weightDecay });
    case 'adamw':
      return new AdamW(params, { lr, weightDecay });
    case 'sgd':
      return new SGD(params, { lr, momentum, nesterov: momentum > 0, weightDecay });
    case 'rmsprop':
      return new RMSprop(params, { lr, weightDecay });
    case 'adagrad':
      return new Adagrad(params, { lr, weightDecay });
  }
}

function scheduleCallback(config: TrainConfig, optimizer: Optimizer, batchesPerEpoch: number): Callback | null {
  switch (config.schedule) {
    case 'none':
      return null;
    case 'step':
      return new LRSchedulerCallback(new StepLR(optimizer, { stepSize: Math.max(1, Math.floor(config.epochs / 3)), gamma: 0.1 }));
    case 'cosine':
      return new LRSchedulerCallback(new CosineAnnealingLR(optimizer, { tMax: config.epochs * batchesPerEpoch, warmupSteps: batchesPerEpoch }), { interval: 'batch' });
    case 'onecycle':
      return new LRSchedulerCallback(new OneCycleLR(optimizer, { maxLr: config.lr * 10, totalSteps: config.epochs * batchesPerEpoch }), { interval: 'batch' });
    case 'plateau':
      return new LRSchedulerCallback(new ReduceLROnPlateau(optimizer, { patience: 1, factor: 0.3 }), { monitor: 'val_loss' });
  }
}

/** The random image augmentations named (see `AUGMENTATIONS`), in order, as one batch transform; none for an empty list. */
export function augmentation(names: readonly AugmentationName[]): BatchTransform | undefined {
  if (names.length === 0) return undefined;
  const steps: Record<AugmentationName, BatchTransform> = {
    flip: randomHorizontalFlip(),
    crop: randomCrop({ padding: 2 }),
    affine: randomAffine({ degrees: 10, translate: 0.1 }),
    jitter: colorJitter({ brightness: 0.2, contrast: 0.2 }),
  };
  return composeAugmentations(names.map((name) => steps[name]));
}

/** Runs training as configured and saves the model to `config.out`. */
export async function runTraining(config: TrainConfig, stream: ProgressStream = process.stderr): Promise<TrainResult> {
  const started = performance.now();
  const data = await prepareData(config);
  if (config.maxTrainSamples !== undefined && config.maxTrainSamples < data.train.length) {
    data.train = data.train.subset(Int32Array.from({ length: config.maxTrainSamples }, (_, i) => i));
  }
  stream.write(`data: ${data.description}\n`);
  const spec = modelSpec(config, data);
  const model = buildModel(spec, { seed: config.seed });
  const outputs = model.outputShape.reduce((a, b) => a * b, 1);
  if (data.labels && outputs !== data.labels.length) {
    throw new ArgumentError(`model: the spec ends with ${outputs} outputs but the data has ${data.labels.length} classes; make the last layer {"type":"linear","out":${data.labels.length}}`);
  }
  stream.write(`model: ${typeof config.model === 'string' ? config.model : 'custom spec'}, ${model.parameterCount().toLocaleString('en-US')} parameters\n`);
  const optimizer = makeOptimizer(config, model);
  const batchesPerEpoch = Math.ceil(data.train.length / config.batchSize);
  const metrics = data.task === 'classification' ? config.metrics : config.metrics.filter((m) => ['mae', 'rmse', 'r2'].includes(m));
  const monitor = data.validation ? 'val_loss' : 'loss';
  const lossName = data.task === 'classification' ? 'cross-entropy' : 'mse';
  const schedule = scheduleCallback(config, optimizer, batchesPerEpoch);
  const callbacks: Callback[] = [
    ...(schedule ? [schedule] : []),
    ...(config.patience > 0 ? [new EarlyStopping({ monitor, patience: config.patience })] : []),
    ...(config.checkpointDir ? [new ModelCheckpoint(config.checkpointDir, { monitor })] : []),
    ...(config.log ? [new MetricsLogger(config.log)] : []),
  ];
  if (config.resume && !config.checkpointDir) throw new ArgumentError('resume needs checkpointDir (the folder holding last.ckpt)');
  const history = await fit(model, {
    train: data.train,
    validation: data.validation ?? undefined,
    loss: lossName,
    optimizer,
    epochs: config.epochs,
    batchSize: config.batchSize,
    metrics,
    augment: augmentation(config.augment),
    callbacks,
    seed: config.seed,
    resumeFrom: config.resume ? join(config.checkpointDir!, 'last.ckpt') : undefined,
    progressStream: stream,
  });
  const testMetrics = data.test
    ? evaluate(model, data.test, { loss: lossFromName(lossName), metrics: data.task === 'classification' ? ['accuracy', 'f1'] : ['mae', 'rmse', 'r2'] })
    : null;
  await saveModel(config.out, {
    model,
    task: data.task,
    labels: data.labels,
    input: data.input,
    metrics: testMetrics ?? history.epochs.at(-1)?.logs ?? {},
    provenance: { seed: config.seed, dataHash: data.dataHash, epochs: history.epochs.length },
  });
  return { model, data, history, testMetrics, out: config.out, seconds: (performance.now() - started) / 1000 };
}
