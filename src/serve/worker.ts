/**
 * An inference worker thread: loads the model file itself, then predicts one batch at a time, so forward
 * passes never block the server's event loop (health checks, parsing and queueing go on meanwhile).
 */
import { readFile } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { ModelFormatError } from '../errors.js';
import { Predictor } from '../infer/predictor.js';
import { decodeModelFile } from '../io/model-file.js';
import { Tensor } from '../tensor/tensor.js';
import { modelInfo, type ModelInfo } from './model-info.js';
import { errorFields, type BatchRequest, type WorkerMessage, type WorkerStart } from './protocol.js';

if (parentPort === null) throw new Error('src/serve/worker: run this module as a worker thread (startServer starts it)');
const port = parentPort;
const post = (message: WorkerMessage): void => port.postMessage(message);

/** Loads the model, reading the file once so the hash and the weights come from the same bytes. */
async function load(path: string): Promise<{ predictor: Predictor; info: ModelInfo; loadSeconds: number }> {
  const started = performance.now();
  const buffer = await readFile(path).catch((error: Error) => {
    throw new ModelFormatError(`model ${path}: cannot read the file (${error.message})`);
  });
  const bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const predictor = new Predictor(decodeModelFile(bytes, `model ${path}`));
  return { predictor, info: modelInfo(predictor, path, bytes), loadSeconds: (performance.now() - started) / 1000 };
}

async function predict(predictor: Predictor, { id, data, shape, topK }: BatchRequest): Promise<void> {
  try {
    // A tensor input goes through the model's own preprocessing tail (image normalization), exactly as predict does for files.
    const predictions = await predictor.predict(new Tensor(data, shape), { topK });
    post({ type: 'done', id, predictions });
  } catch (error) {
    post({ type: 'error', id, error: errorFields(error) });
  }
}

const { modelPath } = workerData as WorkerStart;
try {
  const { predictor, info, loadSeconds } = await load(modelPath);
  port.on('message', (request: BatchRequest) => void predict(predictor, request));
  post({ type: 'ready', info, loadSeconds });
} catch (error) {
  post({ type: 'failed', error: errorFields(error) });
}
