/**
 * The endpoints of a model server:
 * - `POST /v1/predict`: predictions for a JSON body or a multipart upload of images;
 * - `GET /v1/model`: the model's metadata;
 * - `GET /healthz`: `{ "status": "ok" }` (503 once an inference worker has died);
 * - `GET /metrics`: Prometheus metrics.
 */
import type { FastifyInstance } from 'fastify';
import type { MicroBatcher } from './batcher.js';
import { errorBody } from './http-error.js';
import type { ServeMetrics } from './metrics.js';
import type { ModelInfo } from './model-info.js';
import { readJsonRequest, readMultipartRequest, type RequestLimits } from './predict-request.js';
import { PROMETHEUS_CONTENT_TYPE } from './prometheus.js';
import type { SampleDecoder } from './samples.js';

/** What the endpoints work with. */
export interface RouteContext {
  info: ModelInfo;
  decoder: SampleDecoder;
  batcher: MicroBatcher;
  metrics: ServeMetrics;
  limits: RequestLimits;
  /** Why the server cannot predict any more (a worker died), or null while it can. */
  failure(): Error | null;
}

/** Adds the endpoints to `app`. */
export function registerRoutes(app: FastifyInstance, { info, decoder, batcher, metrics, limits, failure }: RouteContext): void {
  const format = { kind: info.input.kind, inputShape: info.inputShape };
  const model = { name: info.name, sha256: info.sha256 };

  app.post('/v1/predict', async (request) => {
    const { inputs, topK } = request.isMultipart()
      ? await readMultipartRequest(request, format, limits)
      : readJsonRequest(request.body, request.query, format, limits);
    const samples = await decoder.decode(inputs);
    return { model, predictions: await batcher.submit(samples, inputs.length, topK) };
  });

  app.get('/v1/model', async () => info);

  app.get('/healthz', async (_request, reply) => {
    const error = failure();
    if (error === null) return { status: 'ok' };
    return reply.code(503).send({ status: 'unavailable', ...errorBody({ code: 'unavailable', message: error.message }) });
  });

  app.get('/metrics', async (_request, reply) => reply.type(PROMETHEUS_CONTENT_TYPE).send(metrics.render()));
}
