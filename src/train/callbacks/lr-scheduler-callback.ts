import { KilnError } from '../../errors.js';
import type { Callback, CallbackState, EpochLogs, TrainingContext } from './callback.js';

/** A learning-rate schedule as the training loop drives it (every Kiln scheduler fits). */
export interface Schedule {
  step(metric?: number): void;
  stateDict(): object;
  loadStateDict(state: never): void;
}

/** Options of {@link LRSchedulerCallback}. */
export interface LRSchedulerCallbackOptions {
  /** Step the schedule after every 'epoch' (default) or every 'batch' (warm-up, one-cycle). */
  interval?: 'epoch' | 'batch';
  /** For ReduceLROnPlateau: the logged value passed to `step` each epoch (e.g. 'val_loss'). */
  monitor?: string;
}

/** Steps a learning-rate schedule from the training loop, and saves its position in checkpoints. */
export class LRSchedulerCallback implements Callback {
  readonly key = 'lrScheduler';
  readonly interval: 'epoch' | 'batch';
  readonly monitor: string | undefined;

  constructor(
    readonly schedule: Schedule,
    options: LRSchedulerCallbackOptions = {},
  ) {
    this.interval = options.interval ?? 'epoch';
    this.monitor = options.monitor;
  }

  onBatchEnd(): void {
    if (this.interval === 'batch') this.schedule.step();
  }

  onEpochEnd(_context: TrainingContext, logs: EpochLogs): void {
    if (this.interval !== 'epoch') return;
    if (this.monitor === undefined) {
      this.schedule.step();
      return;
    }
    const value = logs[this.monitor];
    if (value === undefined) throw new KilnError(`LRSchedulerCallback: '${this.monitor}' is not logged; logged values: ${Object.keys(logs).join(', ')}`);
    this.schedule.step(value);
  }

  stateDict(): CallbackState {
    return { values: { schedule: this.schedule.stateDict() } };
  }

  loadStateDict(state: CallbackState): void {
    this.schedule.loadStateDict(state.values.schedule as never);
  }
}
