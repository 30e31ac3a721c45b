import type { NumericArray } from '../backend/backend.js';
import { DTypeError } from '../errors.js';

/**
 * Element types a tensor can hold. Booleans (comparison results, masks) are `uint8` holding 0 or 1.
 * `float64` exists mainly so gradients can be checked by finite differences in double precision.
 */
export type DType = 'float32' | 'float64' | 'int32' | 'int8' | 'uint8';

/** Every dtype, in promotion order (later wins when mixing kinds). */
export const DTYPES: readonly DType[] = ['uint8', 'int8', 'int32', 'float32', 'float64'];

const ARRAY_CONSTRUCTORS = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
  int8: Int8Array,
  uint8: Uint8Array,
} as const;

/** Allocates zeroed storage of `dtype` with `length` elements. */
export function allocate(dtype: DType, length: number): NumericArray {
  return new ARRAY_CONSTRUCTORS[dtype](length);
}

/** Below this size, skipping the zero-fill saves nothing worth a second allocation path. */
const UNINITIALIZED_MIN_BYTES = 64 * 1024;

/**
 * Storage of `dtype` with `length` elements whose contents are unspecified, for the output of a kernel
 * that overwrites every element. Zero-filling megabytes costs about as much as the kernel writing them,
 * so large arrays come from Node's `Buffer.allocUnsafeSlow` (a fresh ArrayBuffer of their own, never a
 * slice of Node's shared buffer pool); small ones, and runtimes without `Buffer`, get zeroed storage.
 * Never read an element before writing it.
 */
export function allocateUninitialized(dtype: DType, length: number): NumericArray {
  const Constructor = ARRAY_CONSTRUCTORS[dtype];
  const bytes = length * Constructor.BYTES_PER_ELEMENT;
  if (bytes < UNINITIALIZED_MIN_BYTES || typeof Buffer === 'undefined') return new Constructor(length);
  const bytesView = Buffer.allocUnsafeSlow(bytes);
  return new Constructor(bytesView.buffer, bytesView.byteOffset, length);
}

/** The dtype whose storage class `data` is. */
export function dtypeOfArray(data: NumericArray): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Int8Array) return 'int8';
  return 'uint8';
}

/** True for dtypes that carry gradients and take part in float math. */
export function isFloat(dtype: DType): dtype is 'float32' | 'float64' {
  return dtype === 'float32' || dtype === 'float64';
}

/**
 * The dtype of a binary operation's result, following PyTorch's promotion: a float wins over an integer,
 * the wider float wins, and two different integer types meet in int32.
 */
export function promoteTypes(a: DType, b: DType): DType {
  if (a === b) return a;
  if (isFloat(a) || isFloat(b)) return a === 'float64' || b === 'float64' ? 'float64' : 'float32';
  return 'int32';
}

/** Throws a {@link DTypeError} naming `what` unless `dtype` is a float type. */
export function assertFloat(dtype: DType, what: string): void {
  if (!isFloat(dtype)) {
    throw new DTypeError(`${what} must be float32 or float64, got ${dtype}; convert it with .toType('float32')`);
  }
}

/** Parses a user-given dtype name with a clear error for anything else. */
export function parseDType(name: string): DType {
  if ((DTYPES as readonly string[]).includes(name)) return name as DType;
  throw new DTypeError(`unknown dtype '${name}'; expected one of ${DTYPES.join(', ')} (booleans are uint8)`);
}
