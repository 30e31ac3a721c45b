import { KilnError } from '../../errors.js';
import { resolveMode, type Callback, type CallbackState, type EpochLogs, type MonitorMode, type TrainingContext } from './callback.js';

/** Options of {@link ModelCheckpoint}. */
export interface ModelCheckpointOptions {
  /** Write `<dir>/last.ckpt` after every epoch (default true). */
  saveLast?: boolean;
  /** Write `<dir>/best.ckpt` whenever the monitored value improves (default true). */
  saveBest?: boolean;
  /** The value that decides "best" (default 'val_loss', or 'loss' without validation data). */
  monitor?: string;
  mode?: MonitorMode;
}

/**
 * Saves resumable checkpoints (model, optimizer, schedule, epoch, random state) into a directory:
 * `last.ckpt` after every epoch and `best.ckpt` when the monitored value improves. Every write is atomic,
 * so a crash mid-write leaves the previous checkpoint intact.
 */
export class ModelCheckpoint implements Callback {
  readonly key = 'modelCheckpoint';
  readonly saveLast: boolean;
  readonly saveBest: boolean;
  private readonly monitorOption: string | undefined;
  private readonly mode: MonitorMode;
  private best: number | null = null;

  constructor(
    readonly directory: string,
    options: ModelCheckpointOptions = {},
  ) {
    this.saveLast = options.saveLast ?? true;
    this.saveBest = options.saveBest ?? true;
    this.monitorOption = options.monitor;
    this.mode = options.mode ?? 'auto';
  }

  /** Path of the checkpoint written after every epoch. */
  get lastPath(): string {
    return `${this.directory}/last.ckpt`;
  }

  /** Path of the best checkpoint so far. */
  get bestPath(): string {
    return `${this.directory}/best.ckpt`;
  }

  async onEpochEnd(context: TrainingContext, logs: EpochLogs): Promise<void> {
    if (this.saveBest) {
      const monitor = this.monitorOption ?? ('val_loss' in logs ? 'val_loss' : 'loss');
      const value = logs[monitor];
      if (value === undefined) throw new KilnError(`ModelCheckpoint: '${monitor}' is not logged; logged values: ${Object.keys(logs).join(', ')}`);
      const better = resolveMode(monitor, this.mode) === 'min' ? (a: number, b: number) => a < b : (a: number, b: number) => a > b;
      if (Number.isFinite(value) && (this.best === null || better(value, this.best))) {
        this.best = value;
        await context.saveCheckpoint(this.bestPath);
      }
    }
    if (this.saveLast) await context.saveCheckpoint(this.lastPath);
  }

  stateDict(): CallbackState {
    return { values: { best: this.best } };
  }

  loadStateDict(state: CallbackState): void {
    this.best = (state.values.best as number | null) ?? null;
  }
}
