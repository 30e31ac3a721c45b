/**
 * The messages between the server and its inference workers. Samples travel as a transferred typed array
 * (no copy); predictions and errors come back as plain structured-cloned objects.
 */
import type { NumericArray } from '../backend/backend.js';
import type { Prediction } from '../infer/predictor.js';
import type { ModelInfo } from './model-info.js';

/** The `workerData` a worker starts with. */
export interface WorkerStart {
  modelPath: string;
}

/** A batch to predict: samples `[N, ...inputShape]` already decoded, and how many classes to rank. */
export interface BatchRequest {
  id: number;
  data: NumericArray;
  shape: number[];
  topK: number;
}

/** An error's name and message (a thrown error's class does not survive the trip between threads). */
export interface ErrorFields {
  name: string;
  message: string;
}

/** What a worker posts: once `ready` or `failed` after loading, then one `done` or `error` per batch. */
export type WorkerMessage =
  | { type: 'ready'; info: ModelInfo; loadSeconds: number }
  | { type: 'failed'; error: ErrorFields }
  | { type: 'done'; id: number; predictions: Prediction[] }
  | { type: 'error'; id: number; error: ErrorFields };

/** The fields of anything thrown. */
export function errorFields(error: unknown): ErrorFields {
  return error instanceof Error ? { name: error.name, message: error.message } : { name: 'Error', message: String(error) };
}
