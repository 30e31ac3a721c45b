import { backward } from '../autograd/backward.js';
import { noGrad } from '../autograd/grad-mode.js';
import { DataLoader, type BatchTransform } from '../data/data-loader.js';
import type { Dataset } from '../data/dataset.js';
import { ArgumentError, TrainingError } from '../errors.js';
import { lossFromName, type LossFunction } from '../losses/registry.js';
import type { Module } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizer.js';
import { defaultGenerator } from '../tensor/random.js';
import type { Callback, EpochLogs, History, TrainingContext } from './callbacks/callback.js';
import { ProgressLogger, type ProgressStream } from './callbacks/progress.js';
import { loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { evaluate } from './evaluate.js';
import { metricFromName, type Metric } from './metrics.js';

/** Options of {@link fit}. */
export interface FitOptions {
  /** Training data: a dataset (batched and shuffled by fit) or a ready DataLoader. */
  train: Dataset | DataLoader;
  /** Held-out data evaluated after every epoch (logged with a `val_` prefix). */
  validation?: Dataset;
  /** A loss function `(outputs, targets) => scalar`, or a loss name such as 'cross-entropy'. */
  loss: LossFunction | string;
  optimizer: Optimizer;
  epochs: number;
  /** Samples per batch when `train` is a dataset (default 32). */
  batchSize?: number;
  /** Shuffle the training data every epoch (default true) when `train` is a dataset. */
  shuffle?: boolean;
  /** Augmentation applied to training batches only. */
  augment?: BatchTransform;
  /** Metrics computed on training batches and on the validation data: objects or names ('accuracy', 'f1', …). */
  metrics?: (Metric | string)[];
  callbacks?: Callback[];
  /**
   * Seeds the run: the shuffling order, the augmentation, and the default generator (dropout). The same
   * seed, backend and data give the same run.
   */
  seed?: number;
  /** Continue from a checkpoint written by ModelCheckpoint (same model, optimizer, data and options). */
  resumeFrom?: string;
  /** Print progress (default true): a live bar on a terminal, a line per epoch otherwise. */
  verbose?: boolean;
  /** Where progress goes (default stderr). */
  progressStream?: ProgressStream;
}

function resolveMetrics(metrics: readonly (Metric | string)[]): Metric[] {
  return metrics.map((m) => (typeof m === 'string' ? metricFromName(m) : m));
}

/**
 * Trains `model`: for each epoch, every batch is forwarded, the loss back-propagated and the optimizer
 * stepped; then the validation data (if any) is evaluated, and callbacks run (early stopping, checkpoints,
 * schedules, logs). Returns the history. A loss that becomes NaN or infinite stops training with a
 * {@link TrainingError} naming the epoch, the batch and the last good checkpoint; the weights are left as
 * they were before that batch.
 */
export async function fit(model: Module, options: FitOptions): Promise<History> {
  const { epochs, optimizer } = options;
  if (!Number.isInteger(epochs) || epochs < 1) throw new ArgumentError(`fit: epochs must be a positive integer, got ${epochs}`);
  const lossFn = typeof options.loss === 'string' ? lossFromName(options.loss) : options.loss;
  if (options.seed !== undefined) defaultGenerator.manualSeed(options.seed);
  const loader =
    options.train instanceof DataLoader
      ? options.train
      : new DataLoader(options.train, {
          batchSize: options.batchSize ?? 32,
          shuffle: options.shuffle ?? true,
          seed: options.seed,
          transform: options.augment,
        });
  if (loader.length === 0) throw new ArgumentError('fit: the training data yields no batches (is it empty?)');
  const trainMetrics = resolveMetrics(options.metrics ?? []);
  const validationMetrics = resolveMetrics(options.metrics ?? []);
  const callbacks: Callback[] = [...(options.callbacks ?? []), ...(options.verbose === false ? [] : [new ProgressLogger(options.progressStream)])];

  const history: History = { epochs: [], stopReason: null };
  const context: TrainingContext = {
    model,
    optimizer,
    epochs,
    epoch: 0,
    step: 0,
    batchesPerEpoch: loader.length,
    history,
    stopTraining: false,
    stopReason: null,
    lastCheckpoint: null,
    async saveCheckpoint(path: string) {
      await saveCheckpoint(path, {
        model: model.stateDict(),
        optimizer: optimizer.stateDict(),
        epoch: context.epoch,
        step: context.step,
        loader: loader.getState(),
        rng: defaultGenerator.getState(),
        history,
        callbacks: Object.fromEntries(callbacks.filter((c) => c.key && c.stateDict).map((c) => [c.key!, c.stateDict!()])),
      });
      context.lastCheckpoint = path;
    },
  };

  if (options.resumeFrom !== undefined) {
    const checkpoint = await loadCheckpoint(options.resumeFrom);
    try {
      model.loadStateDict(checkpoint.model);
      optimizer.loadStateDict(checkpoint.optimizer);
      loader.setState(checkpoint.loader);
    } catch (error) {
      throw new TrainingError(`fit: checkpoint ${options.resumeFrom} does not fit this run — ${(error as Error).message}`);
    }
    defaultGenerator.setState(checkpoint.rng);
    for (const callback of callbacks) {
      const state = callback.key ? checkpoint.callbacks[callback.key] : undefined;
      if (state && callback.loadStateDict) callback.loadStateDict(state);
    }
    history.epochs.push(...checkpoint.history.epochs);
    context.epoch = checkpoint.epoch;
    context.step = checkpoint.step;
    context.lastCheckpoint = options.resumeFrom;
  }

  for (const callback of callbacks) await callback.onTrainBegin?.(context);
  while (context.epoch < epochs && !context.stopTraining) {
    context.epoch++;
    model.train();
    for (const callback of callbacks) await callback.onEpochBegin?.(context);
    trainMetrics.forEach((m) => m.reset());
    const lr = optimizer.paramGroups[0]?.lr ?? NaN;
    const started = performance.now();
    let lossSum = 0;
    let samples = 0;
    let batchNumber = 0;
    for (const { inputs, targets } of loader) {
      batchNumber++;
      const outputs = model.forward(inputs);
      const loss = lossFn(outputs, targets);
      const value = loss.item();
      if (!Number.isFinite(value)) {
        throw new TrainingError(
          `training stopped: the loss became ${value} at epoch ${context.epoch}, batch ${batchNumber} (step ${context.step + 1}); ` +
            'the weights are those before this batch. ' +
            (context.lastCheckpoint ? `The last good checkpoint is ${context.lastCheckpoint}. ` : 'No checkpoint was written yet. ') +
            'Try a lower learning rate, gradient clipping, or check the data for NaN/Inf values.',
        );
      }
      optimizer.zeroGrad();
      backward(loss);
      optimizer.step();
      context.step++;
      const size = inputs.shape[0] ?? 1;
      lossSum += value * size;
      samples += size;
      noGrad(() => trainMetrics.forEach((m) => m.update(outputs.detach(), targets)));
      const running = Object.fromEntries(trainMetrics.map((m) => [m.name, m.result()]));
      for (const callback of callbacks) await callback.onBatchEnd?.(context, { batch: batchNumber, loss: value, size, metrics: running });
      // Let timers, signals and I/O run between batches (a server or a progress bar stays responsive).
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const seconds = (performance.now() - started) / 1000;
    const logs: EpochLogs = { loss: lossSum / samples };
    for (const m of trainMetrics) logs[m.name] = m.result();
    if (options.validation !== undefined) {
      const validation = evaluate(model, options.validation, {
        loss: lossFn,
        metrics: validationMetrics,
        batchSize: Math.max(options.batchSize ?? 32, 256),
      });
      for (const [key, value] of Object.entries(validation)) logs[`val_${key}`] = value;
    }
    logs.lr = lr;
    logs.epochSeconds = seconds;
    logs.samplesPerSecond = samples / seconds;
    history.epochs.push({ epoch: context.epoch, logs });
    for (const callback of callbacks) await callback.onEpochEnd?.(context, logs);
  }
  for (const callback of callbacks) await callback.onTrainEnd?.(context);
  history.stopReason = context.stopReason;
  return history;
}
