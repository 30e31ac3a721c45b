import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Callback, EpochLogs, TrainingContext } from './callback.js';

/** The file format of a {@link MetricsLogger}. */
export type LogFormat = 'csv' | 'jsonl';

/**
 * Appends one line per epoch to a CSV file (a header first, columns fixed by the first epoch) or a
 * JSON-lines file, so a run can be plotted or compared later. The file is started afresh at the first
 * epoch of a run that did not resume.
 */
export class MetricsLogger implements Callback {
  private columns: string[] | null = null;

  constructor(
    readonly path: string,
    readonly format: LogFormat = path.endsWith('.csv') ? 'csv' : 'jsonl',
  ) {}

  async onTrainBegin(context: TrainingContext): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    // A resumed run appends to the log it continues.
    if (context.history.epochs.length === 0) await writeFile(this.path, '');
    else this.columns = ['epoch', ...Object.keys(context.history.epochs[0]!.logs)];
  }

  async onEpochEnd(context: TrainingContext, logs: EpochLogs): Promise<void> {
    const row: Record<string, number> = { epoch: context.epoch, ...logs };
    if (this.format === 'jsonl') {
      await appendFile(this.path, JSON.stringify(row) + '\n');
      return;
    }
    let header = '';
    if (this.columns === null) {
      this.columns = Object.keys(row);
      header = this.columns.join(',') + '\n';
    }
    await appendFile(this.path, header + this.columns.map((c) => (row[c] === undefined ? '' : String(row[c]))).join(',') + '\n');
  }
}
