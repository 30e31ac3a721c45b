import { ArgumentError, KilnError } from '../../errors.js';
import type { StateDict } from '../../nn/module.js';
import { Tensor } from '../../tensor/tensor.js';
import { resolveMode, type Callback, type CallbackState, type EpochLogs, type MonitorMode, type TrainingContext } from './callback.js';

/** Options of {@link EarlyStopping}. */
export interface EarlyStoppingOptions {
  /** The logged value to watch (default 'val_loss'). */
  monitor?: string;
  mode?: MonitorMode;
  /** Epochs without improvement to wait before stopping (default 5). */
  patience?: number;
  /** Smallest change that counts as an improvement (default 0). */
  minDelta?: number;
  /** At the end, put back the weights of the best epoch (default true). */
  restoreBestWeights?: boolean;
}

/**
 * Stops training when the monitored value has not improved for `patience` epochs — "repeat until
 * converged" — and (by default) restores the weights of the best epoch, so the model returned is the one
 * that generalized best.
 */
export class EarlyStopping implements Callback {
  readonly key = 'earlyStopping';
  readonly monitor: string;
  readonly patience: number;
  readonly minDelta: number;
  readonly restoreBestWeights: boolean;
  private readonly modeOption: MonitorMode;
  private best: number | null = null;
  private bestEpoch = 0;
  private wait = 0;
  private bestWeights: StateDict | null = null;

  constructor(options: EarlyStoppingOptions = {}) {
    this.monitor = options.monitor ?? 'val_loss';
    this.modeOption = options.mode ?? 'auto';
    this.patience = options.patience ?? 5;
    this.minDelta = Math.abs(options.minDelta ?? 0);
    this.restoreBestWeights = options.restoreBestWeights ?? true;
    if (!Number.isInteger(this.patience) || this.patience < 0) throw new ArgumentError(`EarlyStopping: patience must be a non-negative integer, got ${options.patience}`);
  }

  /** The best monitored value so far and its epoch. */
  get bestValue(): { value: number | null; epoch: number } {
    return { value: this.best, epoch: this.bestEpoch };
  }

  onEpochEnd(context: TrainingContext, logs: EpochLogs): void {
    const value = logs[this.monitor];
    if (value === undefined) {
      throw new KilnError(`EarlyStopping: '${this.monitor}' is not logged; logged values: ${Object.keys(logs).join(', ')} (validation values need validation data)`);
    }
    const mode = resolveMode(this.monitor, this.modeOption);
    const improved = this.best === null || (mode === 'min' ? value < this.best - this.minDelta : value > this.best + this.minDelta);
    if (improved) {
      this.best = value;
      this.bestEpoch = context.epoch;
      this.wait = 0;
      if (this.restoreBestWeights) this.bestWeights = snapshot(context.model.stateDict());
      return;
    }
    this.wait++;
    if (this.wait >= this.patience) {
      context.stopTraining = true;
      context.stopReason =
        `early stopping: ${this.monitor} has not improved for ${this.wait} epoch${this.wait === 1 ? '' : 's'} ` +
        `(best ${formatValue(this.best!)} at epoch ${this.bestEpoch})`;
    }
  }

  onTrainEnd(context: TrainingContext): void {
    if (this.restoreBestWeights && this.bestWeights && this.bestEpoch !== context.epoch) {
      context.model.loadStateDict(this.bestWeights);
      context.stopReason = `${context.stopReason ?? 'finished'}; restored the weights of epoch ${this.bestEpoch}`;
    }
  }

  stateDict(): CallbackState {
    return {
      values: { best: this.best, bestEpoch: this.bestEpoch, wait: this.wait },
      tensors: this.bestWeights ?? undefined,
    };
  }

  loadStateDict(state: CallbackState): void {
    const { best, bestEpoch, wait } = state.values as { best: number | null; bestEpoch: number; wait: number };
    this.best = best;
    this.bestEpoch = bestEpoch;
    this.wait = wait;
    this.bestWeights = state.tensors && Object.keys(state.tensors).length ? state.tensors : null;
  }
}

/** Copies of the tensors of a state dict (the model keeps changing its own). */
function snapshot(state: StateDict): StateDict {
  return Object.fromEntries(Object.entries(state).map(([name, t]) => [name, new Tensor(t.toTypedArray(), t.shape)]));
}

function formatValue(v: number): string {
  return String(Number(v.toPrecision(5)));
}
