/**
 * The inference workers of a server: threads that each load the model and run one batch at a time. A
 * worker that dies leaves the pool failed rather than silently restarted (a replacement could load a model
 * file that changed on disk since): in-flight and later batches are refused, health checks report it, and
 * the process supervisor restarts the server.
 */
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ModelFormatError } from '../errors.js';
import type { Prediction } from '../infer/predictor.js';
import type { ModelInfo } from './model-info.js';
import type { BatchRequest, ErrorFields, WorkerMessage, WorkerStart } from './protocol.js';

/** A worker stopped (crashed or ran out of memory); the pool refuses work from then on. */
export class WorkerFailure extends Error {}

interface Job {
  resolve(predictions: Prediction[]): void;
  reject(error: Error): void;
}

interface Slot {
  worker: Worker;
  job: Job | null;
}

/** A started worker with the model it loaded. */
interface Loaded {
  worker: Worker;
  info: ModelInfo;
  loadSeconds: number;
}

/** A fixed set of inference workers, each running at most one batch at a time. */
export class WorkerPool {
  private readonly idle: Slot[];
  private nextId = 0;
  private closing = false;
  /** Why the pool stopped working, once a worker died. */
  failure: WorkerFailure | null = null;

  private constructor(
    private readonly slots: Slot[],
    /** The model, as the first worker loaded it. */
    readonly info: ModelInfo,
    /** How long the slowest worker took to load the model, in seconds. */
    readonly loadSeconds: number,
    private readonly onFailure: (failure: WorkerFailure) => void,
  ) {
    this.idle = [...slots];
    for (const slot of slots) this.watch(slot);
  }

  /**
   * Starts `size` workers on the model file and waits until every one has loaded it.
   * @param onFailure called once if a worker dies later
   * @throws ModelFormatError for a model file that cannot be loaded
   */
  static async start(modelPath: string, size: number, onFailure: (failure: WorkerFailure) => void): Promise<WorkerPool> {
    const started = await Promise.allSettled(Array.from({ length: size }, () => spawn(modelPath)));
    const loaded = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const refused = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (refused) {
      await Promise.all(loaded.map(({ worker }) => worker.terminate()));
      throw refused.reason;
    }
    const slots = loaded.map(({ worker }) => ({ worker, job: null }));
    return new WorkerPool(slots, loaded[0]!.info, Math.max(...loaded.map((l) => l.loadSeconds)), onFailure);
  }

  /** How many batches can run at once. */
  get size(): number {
    return this.slots.length;
  }

  /**
   * Predicts a batch on an idle worker; its samples' buffer is transferred (unusable here afterwards).
   * Callers run at most {@link size} batches at once.
   * @throws WorkerFailure once a worker has died
   */
  run(batch: Omit<BatchRequest, 'id'>): Promise<Prediction[]> {
    if (this.failure) return Promise.reject(this.failure);
    const slot = this.idle.pop();
    if (slot === undefined) return Promise.reject(new Error(`WorkerPool.run: all ${this.size} workers are busy`));
    return new Promise((resolve, reject) => {
      slot.job = { resolve, reject };
      const request: BatchRequest = { ...batch, id: this.nextId++ };
      slot.worker.postMessage(request, [batch.data.buffer as ArrayBuffer]);
    });
  }

  /** Stops every worker (after the in-flight batches are answered: the server drains before closing). */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.slots.map(({ worker }) => worker.terminate()));
  }

  private watch(slot: Slot): void {
    slot.worker.on('message', (message: WorkerMessage) => {
      const job = slot.job;
      if (job === null || (message.type !== 'done' && message.type !== 'error')) return;
      slot.job = null;
      this.idle.push(slot);
      if (message.type === 'done') job.resolve(message.predictions);
      else job.reject(rebuildError(message.error));
    });
    slot.worker.on('error', (error) => this.fail(slot, `it threw ${error.name}: ${error.message}`));
    slot.worker.on('exit', (code) => {
      if (!this.closing) this.fail(slot, `it exited with code ${code}`);
    });
  }

  private fail(slot: Slot, why: string): void {
    const failure = new WorkerFailure(`an inference worker stopped (${why}); restart the server`);
    slot.job?.reject(failure);
    slot.job = null;
    if (this.failure) return;
    this.failure = failure;
    this.onFailure(failure);
  }
}

/** Starts a worker on the model file and waits until it has loaded the model. */
function spawn(modelPath: string): Promise<Loaded> {
  const worker = createWorker({ modelPath });
  return new Promise((resolve, reject) => {
    const settle = (outcome: () => void): void => {
      worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      outcome();
    };
    const onMessage = (message: WorkerMessage): void => {
      if (message.type === 'ready') settle(() => resolve({ worker, info: message.info, loadSeconds: message.loadSeconds }));
      else if (message.type === 'failed') settle(() => reject(rebuildError(message.error)));
    };
    const onError = (error: Error): void => settle(() => reject(error));
    const onExit = (code: number): void => settle(() => reject(new Error(`the inference worker exited with code ${code} while loading ${modelPath}`)));
    worker.on('message', onMessage).on('error', onError).on('exit', onExit);
  });
}

/** The worker module next to this one: worker.js when compiled, worker.ts when run from sources under tsx. */
function createWorker(start: WorkerStart): Worker {
  const url = new URL(`./worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url);
  if (!url.pathname.endsWith('.ts')) return new Worker(url, { workerData: start });
  // Node 20 does not apply `--import tsx` to worker threads, so the worker registers tsx itself (and gets
  // no inherited flags, so newer Node versions that do apply it do not register it twice).
  const tsx = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: start, execArgv: [] });
}

/** The error a worker reported; a model file problem keeps its class so the CLI reports it as such. */
function rebuildError({ name, message }: ErrorFields): Error {
  if (name === 'ModelFormatError') return new ModelFormatError(message);
  const error = new Error(message);
  error.name = name;
  return error;
}
