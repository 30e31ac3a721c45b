/**
 * A model server: an HTTP API in front of inference workers, with micro-batching, limits, metrics and
 * graceful shutdown. `kiln serve` wraps {@link startServer}.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { MicroBatcher } from './batcher.js';
import { ServeMetrics } from './metrics.js';
import type { ModelInfo } from './model-info.js';
import { resolveServeOptions, type ServeOptions } from './options.js';
import { SampleDecoder } from './samples.js';
import { WorkerPool } from './worker-pool.js';

/** A running server. */
export interface RunningServer {
  /** Where it listens, like `http://127.0.0.1:8080` (the real port when port 0 was asked). */
  url: string;
  /** The served model. */
  model: ModelInfo;
  /** How long the model took to load, in seconds. */
  loadSeconds: number;
  /**
   * Stops accepting connections, answers the requests already received (running their batches at once),
   * then stops the workers. Calling it again returns the same promise.
   */
  close(): Promise<void>;
}

/**
 * Loads the model in worker threads and starts serving it over HTTP.
 * @throws ArgumentError for a bad option; ModelFormatError for a model file that cannot be loaded; the
 *   listen error (such as EADDRINUSE) when the port cannot be used
 */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const settings = resolveServeOptions(options);
  const { maxBatch, maxWaitMs, maxBodyBytes, log } = settings;
  const metrics = new ServeMetrics(maxBatch);
  const pool = await WorkerPool.start(settings.model, settings.workers, (failure) => log(`kiln serve: ${failure.message}`));
  const info = pool.info;
  metrics.modelLoaded(pool.loadSeconds);
  const batcher = new MicroBatcher((batch) => pool.run(batch), {
    maxBatch,
    maxWaitMs,
    concurrency: pool.size,
    sampleShape: info.inputShape,
    dtype: info.inputDType,
  }, metrics);
  const context = {
    info,
    decoder: new SampleDecoder(info),
    batcher,
    metrics,
    limits: { maxBatch, maxBodyBytes },
    failure: () => pool.failure,
    log,
  };
  let app: FastifyInstance | undefined;
  try {
    app = await buildApp(context);
    let closing = false;
    // Queued requests go at once rather than after their wait; Fastify then waits for every answer.
    app.addHook('preClose', async () => {
      closing = true;
      batcher.drain();
    });
    // Answers given while closing end their keep-alive connection, or it would hold the close open until it times out.
    app.addHook('onSend', async (_request, reply) => {
      if (closing) reply.header('connection', 'close');
    });
    app.addHook('onClose', async () => pool.close());
    await app.listen({ port: settings.port, host: settings.host });
  } catch (error) {
    await (app ? app.close() : pool.close());
    throw error;
  }
  const address = app.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${host}:${address.port}`,
    model: info,
    loadSeconds: pool.loadSeconds,
    close: () => (closed ??= app.close()),
  };
}
