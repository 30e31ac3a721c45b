/**
 * What a model server measures about itself, exposed at `GET /metrics`: requests by route and status,
 * errors by code, request latency, requests in flight, micro-batching (batch sizes, forward-pass time,
 * queue depth) and how long the model took to load.
 */
import type { BatchObserver } from './batcher.js';
import { Counter, Gauge, Histogram, MetricRegistry } from './prometheus.js';

/** Request latency buckets in seconds: 1 ms to 10 s. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Powers of two up to `maxBatch`, and `maxBatch` itself: every batch size has a bucket it fills exactly. */
function batchSizeBuckets(maxBatch: number): number[] {
  const buckets: number[] = [];
  for (let size = 1; size < maxBatch; size *= 2) buckets.push(size);
  buckets.push(maxBatch);
  return buckets;
}

/** The metrics of one server. */
export class ServeMetrics implements BatchObserver {
  private readonly registry = new MetricRegistry();
  private readonly requests: Counter;
  private readonly errors: Counter;
  private readonly latency: Histogram;
  private readonly inFlight: Gauge;
  private readonly batchSize: Histogram;
  private readonly batchSeconds: Histogram;
  private readonly queued: Gauge;
  private readonly running: Gauge;
  private readonly loadSeconds: Gauge;

  /** @param maxBatch the server's largest batch, for the batch-size buckets */
  constructor(maxBatch: number) {
    const add = <M extends Counter | Gauge | Histogram>(metric: M): M => this.registry.add(metric);
    this.requests = add(new Counter('kiln_http_requests_total', 'HTTP requests answered, by route, method and status code.', ['route', 'method', 'status']));
    this.errors = add(new Counter('kiln_http_errors_total', 'Error responses, by route and error code.', ['route', 'code']));
    this.latency = add(new Histogram('kiln_http_request_duration_seconds', 'Time from receiving a request to sending its response, by route.', LATENCY_BUCKETS, ['route']));
    this.inFlight = add(new Gauge('kiln_http_requests_in_flight', 'Requests received and not yet answered.'));
    this.batchSize = add(new Histogram('kiln_batch_size', 'Samples per forward pass (requests arriving together are micro-batched).', batchSizeBuckets(maxBatch)));
    this.batchSeconds = add(new Histogram('kiln_batch_duration_seconds', 'Time of one batch in an inference worker, in seconds.', LATENCY_BUCKETS));
    this.queued = add(new Gauge('kiln_batch_queue_samples', 'Samples waiting for a forward pass.'));
    this.running = add(new Gauge('kiln_batches_running', 'Batches being computed by the inference workers.'));
    this.loadSeconds = add(new Gauge('kiln_model_load_seconds', 'Time to read the model file and build the model, in seconds.'));
  }

  /** Records how long the model took to load. */
  modelLoaded(seconds: number): void {
    this.loadSeconds.set(seconds);
  }

  /** Counts a request in flight until {@link requestClosed}. */
  requestReceived(): void {
    this.inFlight.inc();
  }

  /** The request's connection is done with it: answered, or the client hung up. */
  requestClosed(): void {
    this.inFlight.inc({}, -1);
  }

  /** Records an answered request; `errorCode` for an error response. */
  answered(route: string, method: string, status: number, seconds: number, errorCode?: string): void {
    this.requests.inc({ route, method, status: String(status) });
    this.latency.observe(seconds, { route });
    if (errorCode !== undefined) this.errors.inc({ route, code: errorCode });
  }

  queueChanged(samples: number): void {
    this.queued.set(samples);
  }

  batchStarted(): void {
    this.running.inc();
  }

  batchFinished(samples: number, seconds: number): void {
    this.running.inc({}, -1);
    this.batchSize.observe(samples);
    this.batchSeconds.observe(seconds);
  }

  /** The Prometheus exposition text. */
  render(): string {
    return this.registry.render();
  }
}
