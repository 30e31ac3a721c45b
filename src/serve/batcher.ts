/**
 * Micro-batching: samples of requests that arrive close together run in one forward pass. The first
 * queued request waits at most `maxWaitMs` for others; a batch leaves as soon as it holds `maxBatch`
 * samples, its wait is over, or the server is draining, and only when a worker is free (requests that
 * arrive while every worker computes gather into the next batch, which is how batching pays off under load).
 */
import type { NumericArray } from '../backend/backend.js';
import { ArgumentError } from '../errors.js';
import type { Prediction } from '../infer/predictor.js';
import { allocate, type DType } from '../tensor/dtype.js';
import { sizeOf } from '../tensor/shape.js';

/** Runs one batch `[N, ...sampleShape]` (its buffer may be transferred) and returns N predictions. */
export type BatchRunner = (batch: { data: NumericArray; shape: number[]; topK: number }) => Promise<Prediction[]>;

/** Is told what the batcher does, for metrics. */
export interface BatchObserver {
  /** The samples now waiting in the queue. */
  queueChanged(samples: number): void;
  batchStarted(samples: number): void;
  batchFinished(samples: number, seconds: number): void;
}

/** Settings of a {@link MicroBatcher}. */
export interface BatcherOptions {
  /** The most samples in one batch (and in one submission). */
  maxBatch: number;
  /** How long the oldest queued submission waits for company, in milliseconds. */
  maxWaitMs: number;
  /** How many batches may run at once (the number of workers). */
  concurrency: number;
  /** One sample's shape and element type. */
  sampleShape: readonly number[];
  dtype: DType;
}

/** The default number of ranked classes, as `Predictor.predict` has it. */
const DEFAULT_TOP_K = 5;

interface Submission {
  data: NumericArray;
  count: number;
  topK: number;
  arrived: number;
  resolve(predictions: Prediction[]): void;
  reject(error: unknown): void;
}

/** Queues submissions of decoded samples and runs them in as few forward passes as the settings allow. */
export class MicroBatcher {
  private readonly queue: Submission[] = [];
  private queuedSamples = 0;
  private running = 0;
  private timer: NodeJS.Timeout | null = null;
  private draining = false;
  private readonly sampleSize: number;

  constructor(
    private readonly run: BatchRunner,
    private readonly options: BatcherOptions,
    private readonly observer?: BatchObserver,
  ) {
    this.sampleSize = sizeOf(options.sampleShape);
  }

  /**
   * Queues `count` samples (`data` holds them one after another) and resolves with their predictions in
   * order, each ranking `topK` classes (default 5, at most the number of classes).
   * @throws ArgumentError for more than maxBatch samples or data of another size
   */
  submit(data: NumericArray, count: number, topK = DEFAULT_TOP_K): Promise<Prediction[]> {
    if (!(Number.isInteger(count) && count >= 1 && count <= this.options.maxBatch)) {
      return Promise.reject(new ArgumentError(`MicroBatcher.submit: count must be 1 to ${this.options.maxBatch} samples, got ${count}`));
    }
    if (data.length !== count * this.sampleSize) {
      return Promise.reject(new ArgumentError(`MicroBatcher.submit: ${count} samples of ${this.sampleSize} values need ${count * this.sampleSize} values, got ${data.length}`));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ data, count, topK, arrived: performance.now(), resolve, reject });
      this.queuedSamples += count;
      this.observer?.queueChanged(this.queuedSamples);
      this.schedule();
    });
  }

  /** Sends everything queued now, without waiting (the server is shutting down). */
  drain(): void {
    this.draining = true;
    this.schedule();
  }

  /** Starts every batch that is due and has a free worker; arms the timer for the one that is not due yet. */
  private schedule(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    while (this.queue.length > 0 && this.running < this.options.concurrency) {
      const waited = performance.now() - this.queue[0]!.arrived;
      if (!this.draining && this.queuedSamples < this.options.maxBatch && waited < this.options.maxWaitMs) {
        this.timer = setTimeout(() => this.schedule(), Math.ceil(this.options.maxWaitMs - waited));
        return;
      }
      void this.start();
    }
  }

  /** Runs the oldest submissions that fit in one batch, and routes the predictions back to each. */
  private async start(): Promise<void> {
    const batch: Submission[] = [];
    let samples = 0;
    while (this.queue.length > 0 && samples + this.queue[0]!.count <= this.options.maxBatch) {
      const next = this.queue.shift()!;
      batch.push(next);
      samples += next.count;
    }
    this.queuedSamples -= samples;
    this.running++;
    this.observer?.queueChanged(this.queuedSamples);
    this.observer?.batchStarted(samples);
    const started = performance.now();
    try {
      // Copied into a fresh buffer, which the runner may transfer to a worker thread.
      const data = allocate(this.options.dtype, samples * this.sampleSize);
      let offset = 0;
      for (const submission of batch) {
        data.set(submission.data, offset);
        offset += submission.data.length;
      }
      const topK = Math.max(...batch.map((s) => s.topK));
      const predictions = await this.run({ data, shape: [samples, ...this.options.sampleShape], topK });
      let at = 0;
      for (const submission of batch) {
        submission.resolve(predictions.slice(at, at + submission.count).map((p) => withTopK(p, submission.topK)));
        at += submission.count;
      }
    } catch (error) {
      for (const submission of batch) submission.reject(error);
    } finally {
      this.running--;
      this.observer?.batchFinished(samples, (performance.now() - started) / 1000);
      this.schedule();
    }
  }
}

/** A prediction ranked for the largest topK of its batch, cut to `topK` (the ranking is the same, only shorter). */
function withTopK(prediction: Prediction, topK: number): Prediction {
  if (!('topK' in prediction) || prediction.topK.length <= topK) return prediction;
  return { ...prediction, topK: prediction.topK.slice(0, topK) };
}
