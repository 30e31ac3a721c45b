/**
 * The IDX format of MNIST and Fashion-MNIST: a big-endian header (two zero bytes, a type code, the number of
 * dimensions, one u32 per dimension) followed by the elements, big-endian, row-major. Files may be gzipped.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { NumericArray } from '../backend/backend.js';
import { DataError } from '../errors.js';
import { allocate, type DType } from '../tensor/dtype.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

interface IdxType {
  readonly name: string;
  readonly dtype: DType;
  readonly bytes: number;
  readonly read: (view: DataView, offset: number) => number;
}

/** The IDX type codes (third magic byte). i16 has no Kiln dtype of its own and widens, losslessly, to int32. */
const IDX_TYPES: Readonly<Record<number, IdxType>> = {
  0x08: { name: 'u8', dtype: 'uint8', bytes: 1, read: (v, o) => v.getUint8(o) },
  0x09: { name: 'i8', dtype: 'int8', bytes: 1, read: (v, o) => v.getInt8(o) },
  0x0b: { name: 'i16', dtype: 'int32', bytes: 2, read: (v, o) => v.getInt16(o, false) },
  0x0c: { name: 'i32', dtype: 'int32', bytes: 4, read: (v, o) => v.getInt32(o, false) },
  0x0d: { name: 'f32', dtype: 'float32', bytes: 4, read: (v, o) => v.getFloat32(o, false) },
  0x0e: { name: 'f64', dtype: 'float64', bytes: 8, read: (v, o) => v.getFloat64(o, false) },
};

const hex = (byte: number): string => `0x${byte.toString(16).padStart(2, '0')}`;

/** Whether `bytes` start with the gzip magic 1f 8b. */
function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * The output chunk size for gunzip: the size the gzip trailer records (modulo 2³², so only a hint), plus one
 * byte so the stream ends inside the chunk. The output then comes in one allocation instead of 64 KiB chunks
 * joined at the end, which for a 47 MB image file saved about 50 MB of peak memory (and heap fragments
 * that outlived the call).
 */
function decompressedSizeHint(gzip: Uint8Array): number {
  const n = gzip.length;
  const recorded = (gzip[n - 4]! | (gzip[n - 3]! << 8) | (gzip[n - 2]! << 16) | (gzip[n - 1]! << 24)) >>> 0;
  // A damaged trailer must not allocate more than deflate can expand to (1032:1 at most); zlib's smallest
  // chunk is 64 bytes.
  return Math.max(64, Math.min(recorded + 1, 1032 * n, 2 ** 30));
}

/**
 * Parses IDX data (gzipped or not) into a tensor of the file's dtype and shape: u8 → uint8, i8 → int8,
 * i16 and i32 → int32, f32 → float32, f64 → float64. The tensor owns a copy of the data.
 * @param source names the data in error messages (a file path, usually)
 * @throws DataError for a bad magic, an unknown type code, a truncated or oversized file, or broken gzip
 */
export function parseIdx(buffer: Uint8Array, source = 'IDX data'): Tensor {
  let bytes = buffer;
  // Decompressed bytes belong to this call alone, so the tensor may keep them instead of a copy.
  let owned = false;
  if (isGzip(bytes)) {
    try {
      bytes = gunzipSync(bytes, { chunkSize: decompressedSizeHint(bytes) });
      owned = true;
    } catch (cause) {
      throw new DataError(`${source}: cannot decompress the gzip data (${(cause as Error).message}); the file is damaged or truncated`);
    }
  }
  if (bytes.length < 4) {
    throw new DataError(`${source}: truncated IDX header: expected at least 4 bytes, found ${bytes.length}`);
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const magic = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new DataError(
      `${source}: not an IDX file: the magic number must start with two zero bytes (00 00 08 03 for u8 images), found ${magic}`,
    );
  }
  const type = IDX_TYPES[bytes[2]!];
  if (type === undefined) {
    const known = Object.entries(IDX_TYPES).map(([code, t]) => `${hex(Number(code))} ${t.name}`).join(', ');
    throw new DataError(`${source}: unknown IDX type code ${hex(bytes[2]!)}; known codes: ${known}`);
  }
  const ndim = bytes[3]!;
  const headerBytes = 4 + 4 * ndim;
  if (bytes.length < headerBytes) {
    throw new DataError(
      `${source}: truncated IDX header: ${ndim} dimensions need ${headerBytes} header bytes, found ${bytes.length}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape = Array.from({ length: ndim }, (_, d) => view.getUint32(4 + 4 * d, false));
  const count = shape.reduce((a, b) => a * b, 1);
  const expected = headerBytes + count * type.bytes;
  if (bytes.length !== expected) {
    const problem = bytes.length < expected ? 'truncated' : 'has trailing bytes';
    throw new DataError(
      `${source}: IDX data ${problem}: shape ${formatShape(shape)} of ${type.name} needs ${expected} bytes ` +
        `(${headerBytes} header + ${count * type.bytes} data), found ${bytes.length}`,
    );
  }
  return new Tensor(readElements(bytes, owned, view, headerBytes, count, type), shape);
}

function readElements(bytes: Uint8Array, owned: boolean, view: DataView, start: number, count: number, type: IdxType): NumericArray {
  if (type.bytes === 1) {
    // Byte-sized elements have no byte order. A caller's buffer is copied so the tensor does not alias it;
    // either way the result is a plain typed array, never a Node Buffer (whose slice() does not copy).
    const source = owned ? bytes : new Uint8Array(bytes.subarray(start, start + count));
    const offset = owned ? bytes.byteOffset + start : 0;
    return type.dtype === 'int8' ? new Int8Array(source.buffer, offset, count) : new Uint8Array(source.buffer, offset, count);
  }
  const out = allocate(type.dtype, count);
  for (let i = 0, o = start; i < count; i++, o += type.bytes) out[i] = type.read(view, o);
  return out;
}

/**
 * Reads an IDX file (gzipped or not, detected from its first bytes) into a tensor; see {@link parseIdx}.
 * @throws DataError naming the file when it cannot be read or is not valid IDX
 */
export function readIdx(path: string): Tensor {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (cause) {
    throw new DataError(`${path}: cannot read the IDX file (${(cause as Error).message})`);
  }
  return parseIdx(bytes, path);
}

/** Images and their labels, as read by {@link loadIdxPair}. */
export interface IdxPair {
  /** As stored: `[N, …]` (uint8 `[N, 28, 28]` for MNIST-style files). */
  readonly images: Tensor;
  /** As stored: `[N]` (uint8 for MNIST-style files). */
  readonly labels: Tensor;
}

/**
 * Reads an images file and its labels file and checks that they belong together: labels are one-dimensional
 * and there is one per image.
 * @throws DataError naming both files and both counts when they disagree
 */
export function loadIdxPair(imagesPath: string, labelsPath: string): IdxPair {
  const images = readIdx(imagesPath);
  const labels = readIdx(labelsPath);
  if (images.ndim < 1) throw new DataError(`${imagesPath}: images must have at least one dimension (the sample count), found a scalar`);
  if (labels.ndim !== 1) {
    throw new DataError(`${labelsPath}: labels must be one-dimensional, found shape ${formatShape(labels.shape)}`);
  }
  if (labels.shape[0] !== images.shape[0]) {
    throw new DataError(
      `label count ≠ image count: ${labelsPath} holds ${labels.shape[0]} labels but ${imagesPath} holds ` +
        `${images.shape[0]} images; the two files must come from the same split`,
    );
  }
  return { images, labels };
}
