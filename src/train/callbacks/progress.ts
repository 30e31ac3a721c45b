import type { Callback, EpochLogs, TrainingContext, BatchLogs } from './callback.js';

/** Where progress goes: a stream with `write`, and `isTTY` to choose between a live bar and plain lines. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

/**
 * Training progress: on a terminal, a live bar per epoch with loss, samples/s and ETA, redrawn at most
 * every 100 ms; elsewhere (logs, CI) one plain line per epoch with every logged value.
 */
export class ProgressLogger implements Callback {
  private epochStart = 0;
  private lastDraw = 0;
  private samples = 0;
  private lossSum = 0;

  constructor(private readonly stream: ProgressStream = process.stderr) {}

  onEpochBegin(): void {
    this.epochStart = performance.now();
    this.lastDraw = 0;
    this.samples = 0;
    this.lossSum = 0;
  }

  onBatchEnd(context: TrainingContext, logs: BatchLogs): void {
    this.samples += logs.size;
    this.lossSum += logs.loss * logs.size;
    if (!this.stream.isTTY) return;
    const now = performance.now();
    if (now - this.lastDraw < 100 && logs.batch < context.batchesPerEpoch) return;
    this.lastDraw = now;
    const elapsed = (now - this.epochStart) / 1000;
    const fraction = logs.batch / context.batchesPerEpoch;
    const width = 24;
    const filled = Math.round(fraction * width);
    const eta = fraction > 0 ? elapsed * (1 / fraction - 1) : 0;
    const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
    this.stream.write(
      `\r${epochLabel(context)} ${bar} ${logs.batch}/${context.batchesPerEpoch}  loss ${(this.lossSum / this.samples).toFixed(4)}  ` +
        Object.entries(logs.metrics).map(([name, value]) => `${name} ${value.toFixed(4)}  `).join('') +
        `${Math.round(this.samples / Math.max(elapsed, 1e-9))} samples/s  ETA ${formatSeconds(eta)}\x1b[K`,
    );
  }

  onEpochEnd(context: TrainingContext, logs: EpochLogs): void {
    const values = Object.entries(logs)
      .filter(([key]) => key !== 'epochSeconds' && key !== 'samplesPerSecond')
      .map(([key, value]) => `${key} ${formatLogValue(key, value)}`)
      .join('  ');
    const timing = `${formatSeconds(logs.epochSeconds ?? 0)}, ${Math.round(logs.samplesPerSecond ?? 0)} samples/s`;
    this.stream.write(`${this.stream.isTTY ? '\r' : ''}${epochLabel(context)} ${values}  (${timing})${this.stream.isTTY ? '\x1b[K' : ''}\n`);
  }

  onTrainEnd(context: TrainingContext): void {
    if (context.stopReason) this.stream.write(`stopped: ${context.stopReason}\n`);
  }
}

function epochLabel(context: TrainingContext): string {
  const digits = String(context.epochs).length;
  return `epoch ${String(context.epoch).padStart(digits)}/${context.epochs}`;
}

function formatLogValue(key: string, value: number): string {
  if (key === 'lr') return value.toExponential(2);
  return Math.abs(value) >= 1000 ? value.toFixed(0) : value.toFixed(4);
}

function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
}
