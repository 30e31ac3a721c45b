/**
 * The safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-endian header
 * length, a JSON header mapping tensor names to dtype, shape and byte offsets (plus an optional
 * `__metadata__` object of strings), then the raw little-endian tensor bytes. Reading validates everything
 * against the buffer before touching the data and never executes anything from the file.
 */
import { readFile } from 'node:fs/promises';
import type { NumericArray } from '../backend/backend.js';
import { ModelFormatError } from '../errors.js';
import { allocate, type DType } from '../tensor/dtype.js';
import { formatShape, sizeOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { writeFileAtomic } from './atomic-write.js';

/** Tensors by name plus string metadata, as stored in a safetensors file. */
export interface SafetensorsContent {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
}

const TO_SAFETENSORS: Record<DType, string> = { float32: 'F32', float64: 'F64', int32: 'I32', int8: 'I8', uint8: 'U8' };
const FROM_SAFETENSORS: Record<string, DType> = { F32: 'float32', F64: 'float64', I32: 'int32', I8: 'int8', U8: 'uint8' };
const BYTES: Record<DType, number> = { float32: 4, float64: 8, int32: 4, int8: 1, uint8: 1 };

/** Headers above this size are refused (the reference implementation's limit), so a corrupt length cannot exhaust memory. */
export const MAX_HEADER_BYTES = 100_000_000;

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** Serializes tensors and metadata; tensors are written in name order, each contiguous little-endian. */
export function encodeSafetensors(content: SafetensorsContent): Uint8Array[] {
  const names = Object.keys(content.tensors).sort();
  const header: Record<string, unknown> = {};
  if (Object.keys(content.metadata).length) header.__metadata__ = content.metadata;
  let offset = 0;
  const bodies: Uint8Array[] = [];
  for (const name of names) {
    const t = content.tensors[name]!;
    const data = t.contiguousData();
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    header[name] = { dtype: TO_SAFETENSORS[t.dtype], shape: [...t.shape], data_offsets: [offset, offset + bytes.length] };
    bodies.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  // Pad with spaces so the data starts 8-byte aligned, as the reference writer does.
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  return [prefix, headerBytes, ...bodies];
}

/** Writes a safetensors file atomically. */
export async function saveSafetensors(path: string, content: SafetensorsContent): Promise<void> {
  await writeFileAtomic(path, encodeSafetensors(content));
}

/** Reads and validates a safetensors file; `what` names it in errors (defaults to the path). */
export async function loadSafetensors(path: string, what = path): Promise<SafetensorsContent> {
  let buffer: Buffer;
  try {
    buffer = await readFile(path);
  } catch (error) {
    throw new ModelFormatError(`${what}: cannot read the file (${(error as Error).message})`);
  }
  return decodeSafetensors(new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength), what);
}

/**
 * Parses safetensors bytes. Every offset and size is checked against the buffer before any tensor is
 * allocated; tensors get their own copies of the data (aligned typed arrays).
 */
export function decodeSafetensors(bytes: Uint8Array, what = 'safetensors data'): SafetensorsContent {
  const fail = (problem: string): never => {
    throw new ModelFormatError(`${what}: ${problem}`);
  };
  if (bytes.length < 8) fail(`file is ${bytes.length} bytes, too short for the 8-byte header length; it is truncated or not a model file`);
  const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (headerLength > MAX_HEADER_BYTES) fail(`header length ${headerLength} exceeds the ${MAX_HEADER_BYTES}-byte limit; the file is corrupt or not a model file`);
  if (8 + headerLength > bytes.length) fail(`header of ${headerLength} bytes runs past the end of the ${bytes.length}-byte file; the file is truncated`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)));
  } catch {
    fail('the header is not valid UTF-8 JSON; the file is corrupt or not a model file');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('the header is not a JSON object');
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: [string, HeaderEntry][] = [];
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('__metadata__ must be an object of strings');
      for (const [key, text] of Object.entries(value as Record<string, unknown>)) {
        if (typeof text !== 'string') fail(`__metadata__.${key} must be a string`);
        metadata[key] = text as string;
      }
      continue;
    }
    // A tensor named like an Object.prototype member would corrupt the record it is stored in.
    if (name in Object.prototype) fail(`tensor name '${name}' is not allowed`);
    entries.push([name, validateEntry(name, value, dataLength, fail)]);
  }
  // The tensors must tile the data section exactly: no overlaps, no gaps, nothing trailing.
  const spans = entries.map(([name, e]) => ({ name, begin: e.data_offsets[0], end: e.data_offsets[1] })).sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const span of spans) {
    if (span.begin !== cursor) fail(`tensor '${span.name}' starts at byte ${span.begin}, expected ${cursor} (tensors overlap or leave a gap)`);
    cursor = span.end;
  }
  if (cursor !== dataLength) fail(`the tensors cover ${cursor} bytes but the data section has ${dataLength}; the file is truncated or has trailing bytes`);

  const tensors: Record<string, Tensor> = {};
  for (const [name, entry] of entries) {
    const dtype = FROM_SAFETENSORS[entry.dtype]!;
    const [begin, end] = entry.data_offsets;
    const data = allocate(dtype, sizeOf(entry.shape));
    copyLittleEndian(bytes.subarray(dataStart + begin, dataStart + end), data);
    tensors[name] = new Tensor(data, entry.shape);
  }
  return { tensors, metadata };
}

function validateEntry(name: string, value: unknown, dataLength: number, fail: (problem: string) => never): HeaderEntry {
  if (typeof value !== 'object' || value === null) fail(`tensor '${name}' has no header entry object`);
  const entry = value as Partial<HeaderEntry>;
  const dtype = typeof entry.dtype === 'string' ? FROM_SAFETENSORS[entry.dtype] : undefined;
  if (dtype === undefined) {
    fail(`tensor '${name}' has dtype ${JSON.stringify(entry.dtype)}; Kiln reads ${Object.keys(FROM_SAFETENSORS).join(', ')}`);
  }
  const shape = entry.shape;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    fail(`tensor '${name}' has an invalid shape ${JSON.stringify(shape)}`);
  }
  const offsets = entry.data_offsets;
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) || offsets[0]! > offsets[1]!) {
    fail(`tensor '${name}' has invalid data_offsets ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (end > dataLength) fail(`tensor '${name}' ends at byte ${end}, past the ${dataLength}-byte data section; the file is truncated`);
  const expected = sizeOf(shape as number[]) * BYTES[dtype!];
  if (end - begin !== expected) {
    fail(`tensor '${name}' of shape ${formatShape(shape as number[])} ${entry.dtype} needs ${expected} bytes but its offsets span ${end - begin}`);
  }
  return entry as HeaderEntry;
}

/** Copies little-endian bytes into a typed array (typed arrays use the host's order, little-endian on Kiln's platforms). */
function copyLittleEndian(source: Uint8Array, target: NumericArray): void {
  new Uint8Array(target.buffer, target.byteOffset, target.byteLength).set(source);
}
