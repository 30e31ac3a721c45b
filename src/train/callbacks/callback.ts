import type { Module } from '../../nn/module.js';
import type { Optimizer } from '../../optim/optimizer.js';
import type { Tensor } from '../../tensor/tensor.js';

/** Values logged at the end of an epoch: `loss`, metric names, their `val_` twins, `lr`, timing. */
export type EpochLogs = Record<string, number>;

/** One epoch of a {@link History}. */
export interface EpochRecord {
  /** 1-based epoch number. */
  epoch: number;
  logs: EpochLogs;
}

/** What `fit` returns: one record per epoch, and why training stopped. */
export interface History {
  epochs: EpochRecord[];
  /** Why training ended before `epochs` (early stopping, a NaN guard…), or null when it ran them all. */
  stopReason: string | null;
}

/** Serializable state of a callback, saved in checkpoints so a resumed run continues it. */
export interface CallbackState {
  values: Record<string, unknown>;
  tensors?: Record<string, Tensor>;
}

/** The state of a training run that callbacks read and may change (e.g. ask it to stop). */
export interface TrainingContext {
  readonly model: Module;
  readonly optimizer: Optimizer;
  /** Epochs requested. */
  readonly epochs: number;
  /** The current (or just finished) epoch, 1-based. */
  epoch: number;
  /** Optimizer steps taken since training began (across resumes). */
  step: number;
  /** Batches per epoch. */
  readonly batchesPerEpoch: number;
  readonly history: History;
  /** Set by a callback to end training after the current epoch; `stopReason` says why. */
  stopTraining: boolean;
  stopReason: string | null;
  /** Path of the last checkpoint written, so errors can point to it. */
  lastCheckpoint: string | null;
  /** Writes a resumable checkpoint of the run to `path` (used by ModelCheckpoint). */
  saveCheckpoint(path: string): Promise<void>;
}

/** Per-batch values given to {@link Callback.onBatchEnd}. */
export interface BatchLogs {
  /** 1-based batch number within the epoch. */
  batch: number;
  loss: number;
  /** Samples in the batch. */
  size: number;
  /** The training metrics accumulated so far this epoch. */
  metrics: Record<string, number>;
}

/**
 * Hooks into the training loop (Keras-style). Every hook is optional and may be async. A callback that
 * keeps state across epochs implements `stateDict`/`loadStateDict` so resuming from a checkpoint restores it;
 * `key` names that state in the checkpoint.
 */
export interface Callback {
  readonly key?: string;
  onTrainBegin?(context: TrainingContext): void | Promise<void>;
  onEpochBegin?(context: TrainingContext): void | Promise<void>;
  onBatchEnd?(context: TrainingContext, logs: BatchLogs): void | Promise<void>;
  onEpochEnd?(context: TrainingContext, logs: EpochLogs): void | Promise<void>;
  onTrainEnd?(context: TrainingContext): void | Promise<void>;
  stateDict?(): CallbackState;
  loadStateDict?(state: CallbackState): void;
}

/** Whether larger values of a monitored quantity are better: explicit, or guessed from its name. */
export type MonitorMode = 'min' | 'max' | 'auto';

/** Resolves 'auto': accuracy-like names (accuracy, f1, precision, recall, r2, auc) are maximized. */
export function resolveMode(monitor: string, mode: MonitorMode): 'min' | 'max' {
  if (mode !== 'auto') return mode;
  return /(accuracy|f1|precision|recall|r2|auc)$/.test(monitor) ? 'max' : 'min';
}
