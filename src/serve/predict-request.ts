/**
 * Reading a prediction request (a JSON body, or a multipart upload of image files) into the inputs the
 * model's kind takes, each with its place in the request so errors can name it. The structure is checked
 * here; values (record fields, image bytes) are checked when decoded.
 *
 * JSON: `{ "inputs": [ ... ] }` or `{ "input": ... }`, optionally `"topK"`, where an input is
 * `{ "image": "<base64>" }` (image models), a record `{ "field": value }` (tabular models), or nested
 * number lists of one sample's shape (tensor models). `topK` may also come as a query parameter.
 */
import type { MultipartFile, MultipartValue } from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import type { PredictInput } from '../infer/inputs.js';
import type { InputSpec } from '../io/model-file.js';
import { formatShape } from '../tensor/shape.js';
import { HttpError, invalidInput } from './http-error.js';

/** One input of a request, and where it is in the request (`inputs[3]`, `files[0]`). */
export interface RequestInput {
  value: PredictInput;
  field: string;
}

/** A prediction request, read. */
export interface PredictRequest {
  inputs: RequestInput[];
  /** How many classes each prediction ranks; undefined for the default. */
  topK: number | undefined;
}

/** What the served model takes. */
export interface InputFormat {
  kind: InputSpec['kind'];
  /** One sample's shape, which tensor inputs must have. */
  inputShape: readonly number[];
}

/** The limits of one request. */
export interface RequestLimits {
  /** The most inputs in one request. */
  maxBatch: number;
  /** The most bytes of uploaded files, together. */
  maxBodyBytes: number;
}

const JSON_FIELDS = ['inputs', 'input', 'topK'];
const FILE_FIELDS = ['image', 'file'];

/** Reads a JSON request body (already parsed) and the query string. @throws HttpError 400 naming the field */
export function readJsonRequest(body: unknown, query: unknown, format: InputFormat, limits: RequestLimits): PredictRequest {
  const queryTopK = readQuery(query);
  if (!isPlainObject(body)) throw invalidInput('body', `expected a JSON object { "inputs": [...] } or { "input": ... }, got ${describe(body)}`);
  const unknown = Object.keys(body).find((key) => !JSON_FIELDS.includes(key));
  if (unknown !== undefined) throw invalidInput(unknown, `unknown field; expected "inputs" (a list of inputs) or "input" (one input), and optionally "topK"`);
  const topK = body['topK'] !== undefined ? parseTopK(body['topK'], 'topK') : queryTopK;
  const hasList = Object.hasOwn(body, 'inputs');
  if (hasList && Object.hasOwn(body, 'input')) throw invalidInput('input', 'give either "inputs" (a list) or "input" (one input), not both');
  if (!hasList) {
    if (!Object.hasOwn(body, 'input')) throw invalidInput('inputs', 'missing; expected "inputs": [ ... ] or "input": ...');
    return { inputs: [jsonInput(body['input'], 'input', format)], topK };
  }
  const list = body['inputs'];
  if (!Array.isArray(list)) throw invalidInput('inputs', `must be a list of inputs, got ${describe(list)}`);
  if (list.length === 0) throw invalidInput('inputs', 'the list is empty; give at least one input');
  if (list.length > limits.maxBatch) {
    throw invalidInput('inputs', `${list.length} inputs are more than the ${limits.maxBatch} one request may carry; split them over several requests`);
  }
  return { inputs: list.map((value, i) => jsonInput(value, `inputs[${i}]`, format)), topK };
}

/**
 * Reads a multipart upload of image files (form fields `image` or `file`, any number of each) and an
 * optional `topK` field.
 * @throws HttpError 400 naming the field, 413 when the files exceed the body limit together
 */
export async function readMultipartRequest(request: FastifyRequest, format: InputFormat, limits: RequestLimits): Promise<PredictRequest> {
  let topK = readQuery(request.query);
  if (format.kind !== 'image') {
    throw new HttpError(415, 'unsupported_media_type', `file uploads are for image models; this model takes ${format.kind} inputs as JSON`, 'body');
  }
  const inputs: RequestInput[] = [];
  let bytes = 0;
  const parts = request.parts({
    limits: { fileSize: limits.maxBodyBytes, files: limits.maxBatch, fields: 4, fieldSize: 1024, parts: limits.maxBatch + 4 },
  });
  for await (const part of parts) {
    if (part.type === 'field') {
      if (part.fieldname !== 'topK') throw invalidInput(part.fieldname, 'unknown form field; upload images as "image" or "file", and optionally give "topK"');
      topK = parseTopK((part as MultipartValue).value, 'topK');
      continue;
    }
    const field = `files[${inputs.length}]`;
    const file = part as MultipartFile;
    if (!FILE_FIELDS.includes(file.fieldname)) throw invalidInput(file.fieldname, 'unknown form field; upload images as "image" or "file"');
    const content = await file.toBuffer();
    bytes += content.byteLength;
    if (bytes > limits.maxBodyBytes) {
      throw new HttpError(413, 'body_too_large', `the uploaded files exceed the ${limits.maxBodyBytes}-byte limit together`, field);
    }
    if (content.byteLength === 0) throw invalidInput(field, `the file '${file.filename}' is empty`);
    inputs.push({ value: content, field });
  }
  if (inputs.length === 0) throw invalidInput('image', 'no image files; upload them as form fields "image" or "file"');
  return { inputs, topK };
}

/** The topK of a query string; any other parameter is refused (a misspelt one would be silently ignored). */
function readQuery(query: unknown): number | undefined {
  if (!isPlainObject(query)) return undefined;
  const unknown = Object.keys(query).find((key) => key !== 'topK');
  if (unknown !== undefined) throw invalidInput(unknown, 'unknown query parameter; the only one is "topK"');
  return query['topK'] === undefined ? undefined : parseTopK(query['topK'], 'topK');
}

function parseTopK(value: unknown, field: string): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw invalidInput(field, `must be a whole number ≥ 1, got ${JSON.stringify(value)}`);
  return n;
}

/** One JSON input, as the model's kind takes it. */
function jsonInput(value: unknown, field: string, format: InputFormat): RequestInput {
  switch (format.kind) {
    case 'image': {
      if (!isPlainObject(value) || !Object.hasOwn(value, 'image')) {
        throw invalidInput(field, `an image model takes { "image": "<base64 of a PNG, JPEG or WebP file>" }, got ${describe(value)}`);
      }
      const unknown = Object.keys(value).find((key) => key !== 'image');
      if (unknown !== undefined) throw invalidInput(`${field}.${unknown}`, 'unknown field; an image input has only "image"');
      // Decoded to bytes here: a string given to the Predictor would be read as a file path.
      return { value: decodeBase64(value['image'], `${field}.image`), field: `${field}.image` };
    }
    case 'tabular':
      if (!isPlainObject(value)) throw invalidInput(field, `a tabular model takes a record { "field": value, ... }, got ${describe(value)}`);
      return { value, field };
    case 'tensor':
      checkSample(value, format.inputShape, field);
      return { value: value as PredictInput, field };
  }
}

const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** The bytes of a base64 string (standard or URL-safe, optionally a `data:` URL). */
function decodeBase64(text: unknown, field: string): Uint8Array {
  if (typeof text !== 'string') throw invalidInput(field, `must be a string of base64, got ${describe(text)}`);
  const payload = text.replace(/^data:[^,]*;base64,/, '').replace(/\s+/g, '');
  if (!BASE64.test(payload)) throw invalidInput(field, 'is not base64 (expected the bytes of a PNG, JPEG or WebP file, base64-encoded)');
  return Buffer.from(payload, 'base64');
}

/** Checks that `value` is nested lists of numbers of exactly `shape`, naming the first element that is not. */
function checkSample(value: unknown, shape: readonly number[], field: string): void {
  const walk = (item: unknown, dim: number, at: string): void => {
    if (dim === shape.length) {
      if (typeof item !== 'number') throw invalidInput(at, `must be a number (one sample is nested lists of shape ${formatShape(shape)}), got ${describe(item)}`);
      return;
    }
    if (!Array.isArray(item) || item.length !== shape[dim]) {
      const found = Array.isArray(item) ? `a list of ${item.length}` : describe(item);
      throw invalidInput(at, `expected a list of ${shape[dim]} (one sample is nested lists of shape ${formatShape(shape)}), got ${found}`);
    }
    item.forEach((next, i) => walk(next, dim + 1, `${at}[${i}]`));
  };
  walk(value, 0, field);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return value.length > 20 ? 'a string' : JSON.stringify(value);
  return String(value);
}
