import type { NumericArray } from '../backend/backend.js';
import { ArgumentError, ShapeError } from '../errors.js';
import { allocate, dtypeOfArray, isFloat, type DType } from './dtype.js';
import { defaultGenerator, type Generator } from './random.js';
import { formatShape, sizeOf, validateShape, type Shape } from './shape.js';
import { Tensor, type NestedArray } from './tensor.js';

/** Options shared by the creation functions. */
export interface CreationOptions {
  /** Element type; float32 unless stated otherwise. */
  dtype?: DType;
  /** Make the new tensor a leaf that collects gradients. */
  requiresGrad?: boolean;
}

/** Options of the random creation functions. */
export interface RandomOptions extends CreationOptions {
  /** The generator to draw from; the default one (see `manualSeed`) when omitted. */
  generator?: Generator;
}

function make(data: NumericArray, shape: Shape, options: CreationOptions | undefined): Tensor {
  const t = new Tensor(data, shape);
  if (options?.requiresGrad) t.requiresGrad = true;
  return t;
}

function storage(shape: Shape, options: CreationOptions | undefined, what: string, fallback: DType = 'float32'): NumericArray {
  validateShape(shape, what);
  return allocate(options?.dtype ?? fallback, sizeOf(shape));
}

/** A tensor of `shape` filled with zeros. */
export function zeros(shape: Shape, options?: CreationOptions): Tensor {
  return make(storage(shape, options, 'zeros'), shape, options);
}

/** A tensor of `shape` filled with ones. */
export function ones(shape: Shape, options?: CreationOptions): Tensor {
  return full(shape, 1, options);
}

/** A tensor of `shape` filled with `value`. */
export function full(shape: Shape, value: number, options?: CreationOptions): Tensor {
  const data = storage(shape, options, 'full');
  data.fill(value);
  return make(data, shape, options);
}

/** Zeros with the shape and dtype of `t`. */
export function zerosLike(t: Tensor, options?: CreationOptions): Tensor {
  return zeros(t.shape, { ...options, dtype: options?.dtype ?? t.dtype });
}

/** Ones with the shape and dtype of `t`. */
export function onesLike(t: Tensor, options?: CreationOptions): Tensor {
  return ones(t.shape, { ...options, dtype: options?.dtype ?? t.dtype });
}

/** A 0-dimensional tensor holding `value`. */
export function scalar(value: number, options?: CreationOptions): Tensor {
  return full([], value, options);
}

/**
 * Values from `start` (inclusive) to `end` (exclusive) by `step`, like Python's range:
 * `arange(5)`, `arange(2, 8, 2)`. Integer arguments give int32 unless a dtype is given.
 */
export function arange(start: number, end?: number, step = 1, options?: CreationOptions): Tensor {
  if (end === undefined) [start, end] = [0, start];
  if (!Number.isFinite(start) || !Number.isFinite(end)) {
    throw new ArgumentError(`arange: start and end must be finite numbers, got ${start} and ${end}`);
  }
  if (step === 0 || !Number.isFinite(step)) throw new ArgumentError(`arange: step must be a non-zero finite number, got ${step}`);
  const count = Math.max(0, Math.ceil((end - start) / step));
  const integral = [start, end, step].every(Number.isInteger);
  const data = allocate(options?.dtype ?? (integral ? 'int32' : 'float32'), count);
  for (let i = 0; i < count; i++) data[i] = start + i * step;
  return make(data, [count], options);
}

/** `steps` evenly spaced values from `start` to `end`, both included. */
export function linspace(start: number, end: number, steps: number, options?: CreationOptions): Tensor {
  if (!Number.isInteger(steps) || steps < 0) throw new ArgumentError(`linspace: steps must be a non-negative integer, got ${steps}`);
  const data = allocate(options?.dtype ?? 'float32', steps);
  const delta = steps > 1 ? (end - start) / (steps - 1) : 0;
  for (let i = 0; i < steps; i++) data[i] = i === steps - 1 && steps > 1 ? end : start + i * delta;
  return make(data, [steps], options);
}

/** The n×m identity matrix (m = n when omitted). */
export function eye(n: number, m = n, options?: CreationOptions): Tensor {
  const data = storage([n, m], options, 'eye');
  for (let i = 0; i < Math.min(n, m); i++) data[i * m + i] = 1;
  return make(data, [n, m], options);
}

/** Options of {@link fromArray}. */
export interface FromArrayOptions extends CreationOptions {
  /** The shape of flat data; inferred from nesting when omitted. */
  shape?: Shape;
}

/**
 * A tensor from JavaScript data: a number, nested arrays (`[[1, 2], [3, 4]]`), or a flat array or typed
 * array with `shape`. Data is copied (a typed array of the requested dtype is wrapped as is). The dtype is
 * the typed array's own, or float32 for plain numbers.
 */
export function fromArray(data: NestedArray | readonly number[] | NumericArray, options?: FromArrayOptions): Tensor {
  if (ArrayBuffer.isView(data)) {
    const dtype = options?.dtype ?? dtypeOfArray(data);
    const shape = options?.shape ?? [data.length];
    checkLength(data.length, shape);
    const wrapped = dtype === dtypeOfArray(data) ? data : copyInto(allocate(dtype, data.length), data);
    return make(wrapped, shape, options);
  }
  const inferred = inferShape(data);
  const flat: number[] = [];
  flatten(data, inferred, 0, flat, []);
  const shape = options?.shape ?? inferred;
  checkLength(flat.length, shape);
  const out = allocate(options?.dtype ?? 'float32', flat.length);
  return make(copyInto(out, flat), shape, options);
}

function copyInto(out: NumericArray, values: ArrayLike<number>): NumericArray {
  for (let i = 0; i < values.length; i++) out[i] = values[i]!;
  return out;
}

function checkLength(length: number, shape: Shape): void {
  validateShape(shape, 'fromArray');
  if (sizeOf(shape) !== length) {
    throw new ShapeError(`fromArray: ${length} values cannot fill shape ${formatShape(shape)} (${sizeOf(shape)} elements)`);
  }
}

function inferShape(data: NestedArray | readonly number[]): number[] {
  const shape: number[] = [];
  let level: unknown = data;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = level[0];
  }
  return shape;
}

function flatten(data: NestedArray | readonly number[], shape: number[], dim: number, out: number[], path: number[]): void {
  const where = (): string => (path.length ? `at [${path.join('][')}]` : 'at the top level');
  if (dim === shape.length) {
    if (typeof data !== 'number') throw new ShapeError(`fromArray: expected a number ${where()}, found a nested array; the data is ragged`);
    out.push(data);
    return;
  }
  if (!Array.isArray(data)) {
    throw new ShapeError(`fromArray: expected an array of ${shape[dim]} ${where()}, found ${typeof data}; the data is ragged`);
  }
  if (data.length !== shape[dim]) {
    throw new ShapeError(`fromArray: ragged data: the array ${where()} has ${data.length} items, expected ${shape[dim]} like its first sibling`);
  }
  data.forEach((item, i) => flatten(item, shape, dim + 1, out, [...path, i]));
}

function randomFloat(shape: Shape, options: RandomOptions | undefined, what: string): NumericArray {
  const dtype = options?.dtype ?? 'float32';
  if (!isFloat(dtype)) throw new ArgumentError(`${what}: dtype must be float32 or float64, got ${dtype}`);
  return storage(shape, options, what);
}

/** Uniform samples in [0, 1). */
export function rand(shape: Shape, options?: RandomOptions): Tensor {
  return uniform(shape, 0, 1, options);
}

/** Standard normal samples. */
export function randn(shape: Shape, options?: RandomOptions): Tensor {
  return normal(shape, 0, 1, options);
}

/** Uniform samples in [low, high). */
export function uniform(shape: Shape, low: number, high: number, options?: RandomOptions): Tensor {
  if (!(high >= low)) throw new ArgumentError(`uniform: high (${high}) must be ≥ low (${low})`);
  const data = randomFloat(shape, options, 'uniform');
  (options?.generator ?? defaultGenerator).fillUniform(data, low, high);
  return make(data, shape, options);
}

/** Normal samples with the given mean and standard deviation. */
export function normal(shape: Shape, mean: number, std: number, options?: RandomOptions): Tensor {
  if (!(std >= 0)) throw new ArgumentError(`normal: std must be ≥ 0, got ${std}`);
  const data = randomFloat(shape, options, 'normal');
  (options?.generator ?? defaultGenerator).fillNormal(data, mean, std);
  return make(data, shape, options);
}

/** Uniform integers in [low, high); int32 unless a dtype is given. */
export function randint(low: number, high: number, shape: Shape, options?: RandomOptions): Tensor {
  if (!Number.isInteger(low) || !Number.isInteger(high)) {
    throw new ArgumentError(`randint: low and high must be integers, got ${low} and ${high}`);
  }
  // Checked here too, not only per draw, so that an empty shape does not hide the mistake.
  if (!(high > low)) throw new ArgumentError(`randint: high (${high}) must be greater than low (${low})`);
  const data = storage(shape, options, 'randint', 'int32');
  const generator = options?.generator ?? defaultGenerator;
  for (let i = 0; i < data.length; i++) data[i] = generator.nextInt(low, high);
  return make(data, shape, options);
}

/** A random permutation of 0…n−1 (int32), by Fisher–Yates. */
export function permutation(n: number, options?: RandomOptions): Tensor {
  if (!Number.isInteger(n) || n < 0) throw new ArgumentError(`permutation: n must be a non-negative integer, got ${n}`);
  const data = storage([n], options, 'permutation', 'int32');
  for (let i = 0; i < n; i++) data[i] = i;
  const generator = options?.generator ?? defaultGenerator;
  for (let i = n - 1; i > 0; i--) {
    const j = generator.nextInt(0, i + 1);
    const tmp = data[i]!;
    data[i] = data[j]!;
    data[j] = tmp;
  }
  return make(data, [n], options);
}
