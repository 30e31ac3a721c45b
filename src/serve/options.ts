/**
 * The settings of a model server, their defaults, and the checks that turn a bad value into one clear
 * error before anything starts.
 */
import { ArgumentError } from '../errors.js';

/** Options of `startServer`. */
export interface ServeOptions {
  /** Path of the `.kiln` model file to serve. */
  model: string;
  /** TCP port; 0 picks a free one (read it from the returned URL). Default 8080. */
  port?: number;
  /** Interface to listen on. Default 127.0.0.1 (this machine only); 0.0.0.0 listens on every interface. */
  host?: string;
  /** The most samples in one forward pass, and in one request. Default 32. */
  maxBatch?: number;
  /** How long the first queued request waits for others to join its batch, in milliseconds. Default 5. */
  maxWaitMs?: number;
  /** The largest request body (JSON, or all uploaded files together), in MiB. Default 10. */
  maxBodyMb?: number;
  /** Inference worker threads, each with its own copy of the model. Default 1. */
  workers?: number;
  /** Where server-side problems (internal errors) are reported, one line each. Default console.error. */
  log?: (line: string) => void;
}

/** {@link ServeOptions} with every default filled in and every value checked. */
export interface ResolvedServeOptions {
  model: string;
  port: number;
  host: string;
  maxBatch: number;
  maxWaitMs: number;
  maxBodyBytes: number;
  workers: number;
  log: (line: string) => void;
}

/** The defaults of the optional settings; `kiln serve` shows them in its help. */
export const SERVE_DEFAULTS = { port: 8080, host: '127.0.0.1', maxBatch: 32, maxWaitMs: 5, maxBodyMb: 10, workers: 1 } as const;

/**
 * Fills in the defaults and checks every value.
 * @throws ArgumentError naming the option, the value and what is allowed
 */
export function resolveServeOptions(options: ServeOptions): ResolvedServeOptions {
  if (typeof options.model !== 'string' || options.model === '') throw new ArgumentError('startServer: model must be the path of a .kiln model file');
  const port = options.port ?? SERVE_DEFAULTS.port;
  const maxBatch = options.maxBatch ?? SERVE_DEFAULTS.maxBatch;
  const maxWaitMs = options.maxWaitMs ?? SERVE_DEFAULTS.maxWaitMs;
  const maxBodyMb = options.maxBodyMb ?? SERVE_DEFAULTS.maxBodyMb;
  const workers = options.workers ?? SERVE_DEFAULTS.workers;
  check(Number.isInteger(port) && port >= 0 && port <= 65535, 'port (--port)', port, 'a whole number from 0 to 65535 (0 picks a free port)');
  check(Number.isInteger(maxBatch) && maxBatch >= 1 && maxBatch <= 65536, 'maxBatch (--max-batch)', maxBatch, 'a whole number from 1 to 65536');
  check(Number.isFinite(maxWaitMs) && maxWaitMs >= 0 && maxWaitMs <= 60_000, 'maxWaitMs (--max-wait-ms)', maxWaitMs, 'a number of milliseconds from 0 to 60000');
  check(Number.isFinite(maxBodyMb) && maxBodyMb > 0 && maxBodyMb <= 1024, 'maxBodyMb (--max-body-mb)', maxBodyMb, 'a number of MiB above 0, at most 1024');
  check(Number.isInteger(workers) && workers >= 1 && workers <= 64, 'workers (--workers)', workers, 'a whole number from 1 to 64');
  return {
    model: options.model,
    port,
    host: options.host ?? SERVE_DEFAULTS.host,
    maxBatch,
    maxWaitMs,
    maxBodyBytes: Math.floor(maxBodyMb * 1024 * 1024),
    workers,
    log: options.log ?? ((line) => console.error(line)),
  };
}

function check(ok: boolean, name: string, value: unknown, expected: string): void {
  if (!ok) throw new ArgumentError(`startServer: ${name} must be ${expected}, got ${String(value)}`);
}
