/**
 * The HTTP application of a model server, on Fastify: body limits, multipart uploads, JSON errors for
 * every failure (never a stack trace), 404s, and the request metrics.
 */
import multipart from '@fastify/multipart';
import { fastify, type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import { errorBody, HttpError, invalidInput } from './http-error.js';
import { registerRoutes, type RouteContext } from './routes.js';
import { WorkerFailure } from './worker-pool.js';

/** What the application needs besides its routes' context. */
export interface AppContext extends RouteContext {
  /** Where internal errors are reported. */
  log(line: string): void;
}

/** Builds the application (not listening yet). */
export async function buildApp(context: AppContext): Promise<FastifyInstance> {
  const { metrics, limits, log } = context;
  const app = fastify({ logger: false, bodyLimit: limits.maxBodyBytes });
  // Anything but JSON and multipart is refused with a 415 (Fastify would otherwise accept text/plain as a string).
  app.removeContentTypeParser('text/plain');
  await app.register(multipart);
  const errorCodes = new WeakMap<FastifyRequest, string>();

  app.addHook('onRequest', async (_request, reply) => {
    metrics.requestReceived();
    // 'close' also comes for a client that hung up before its answer, which onResponse never sees.
    reply.raw.once('close', () => metrics.requestClosed());
  });
  app.addHook('onResponse', async (request, reply) => {
    metrics.answered(request.routeOptions.url ?? 'unmatched', request.method, reply.statusCode, reply.elapsedTime / 1000, errorCodes.get(request));
  });

  app.setErrorHandler((error, request, reply) => {
    const answer = httpError(error, context);
    if (answer.code === 'internal') {
      log(`kiln serve: ${request.method} ${request.url}: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
    errorCodes.set(request, answer.code);
    return reply.code(answer.status).send(errorBody(answer));
  });
  app.setNotFoundHandler((request, reply) => {
    errorCodes.set(request, 'not_found');
    return reply.code(404).send(errorBody({ code: 'not_found', message: `no endpoint ${request.method} ${request.url.split('?')[0]}; the endpoints are POST /v1/predict, GET /v1/model, GET /healthz and GET /metrics` }));
  });

  registerRoutes(app, context);
  return app;
}

/** The answer to a failed request: its own for an HttpError, a JSON version of Fastify's, or a bare 500. */
function httpError(error: unknown, { limits }: AppContext): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof WorkerFailure) return new HttpError(503, 'unavailable', error.message);
  const { statusCode, code, message } = error as Partial<FastifyError>;
  switch (code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new HttpError(400, 'invalid_json', 'the body is not valid JSON', 'body');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_REQ_FILE_TOO_LARGE':
      return new HttpError(413, 'body_too_large', `the request body is larger than the ${limits.maxBodyBytes}-byte limit`, 'body');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new HttpError(415, 'unsupported_media_type', 'send JSON (Content-Type: application/json), or image files as multipart/form-data', 'body');
    case 'FST_FILES_LIMIT':
      return invalidInput('files', `more than the ${limits.maxBatch} files one request may carry; split them over several requests`);
    case 'FST_PARTS_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return invalidInput('body', 'too many form fields; upload images as "image" or "file", and optionally give "topK"');
  }
  // Other client errors Fastify detects (a malformed multipart body, a bad Content-Length) keep their status.
  if (statusCode !== undefined && statusCode >= 400 && statusCode < 500) return new HttpError(statusCode, 'bad_request', message ?? 'bad request', 'body');
  return new HttpError(500, 'internal', 'internal server error; the server log has the details');
}
