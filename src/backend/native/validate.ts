/**
 * Argument checks for the native kernels, with the same messages as the js backend's, so that an error
 * reads the same whichever backend runs. The addon checks extents again before it touches memory.
 */
import type { Conv2dGeometry, FloatArray, Pool2dGeometry } from '../backend.js';

/** Throws unless `value` is a non-negative integer. */
export function checkDim(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(`gemm: ${name} must be a non-negative integer, got ${value}`);
  }
}

/** Throws unless a rows×cols matrix stored at `offset` with row stride `ld` fits in `data`. */
export function checkOperand(
  name: string,
  data: FloatArray,
  offset: number,
  ld: number,
  rows: number,
  cols: number,
): void {
  if (!Number.isInteger(offset) || offset < 0) {
    throw new RangeError(`gemm: ${name} offset must be a non-negative integer, got ${offset}`);
  }
  if (!Number.isInteger(ld) || ld < cols) {
    throw new RangeError(`gemm: leading dimension of ${name} is ${ld} but its stored rows have ${cols} columns`);
  }
  if (rows === 0 || cols === 0) return;
  const end = offset + (rows - 1) * ld + cols;
  if (end > data.length) {
    throw new RangeError(
      `gemm: ${name} (${rows}×${cols}, offset ${offset}, ld ${ld}) needs ${end} elements, has ${data.length}`,
    );
  }
}

/** The A and C half of a GEMM's arguments. */
export interface LeftAndOutput {
  a: FloatArray;
  aOffset: number;
  lda: number;
  transA: boolean;
  c: FloatArray;
  cOffset: number;
  ldc: number;
}

/** Checks the sizes and the A and C extents of an m×n×k product. */
export function checkGemm(args: LeftAndOutput, m: number, n: number, k: number): void {
  checkDim('m', m);
  checkDim('n', n);
  checkDim('k', k);
  checkOperand('A', args.a, args.aOffset, args.lda, args.transA ? k : m, args.transA ? m : k);
  checkOperand('C', args.c, args.cOffset, args.ldc, m, n);
}

const CONV_POSITIVE = ['groups', 'kernelH', 'kernelW', 'strideH', 'strideW', 'dilationH', 'dilationW'] as const;

/** The geometry fields in the order the addon reads them (its ConvGeometry struct). */
const CONV_FIELDS = [
  'batch',
  'inChannels',
  'inH',
  'inW',
  'outChannels',
  'kernelH',
  'kernelW',
  'strideH',
  'strideW',
  'padTop',
  'padLeft',
  'dilationH',
  'dilationW',
  'groups',
  'outH',
  'outW',
] as const satisfies readonly (keyof Conv2dGeometry)[];

/** Lengths of the arrays a convolution checks, by the role they play (null: an array not passed in). */
export interface ConvLengths {
  x: number;
  w: number;
  out: number | null;
}

/** Validates a convolution and packs its geometry for the addon. */
export function convGeometry(g: Conv2dGeometry, lengths: ConvLengths): Int32Array {
  for (const name of CONV_FIELDS) {
    const value = g[name];
    if (!Number.isInteger(value) || value < 0) {
      throw new RangeError(`conv2d: ${name} must be a non-negative integer, got ${value}`);
    }
  }
  for (const name of CONV_POSITIVE) {
    if (g[name] < 1) throw new RangeError(`conv2d: ${name} must be at least 1, got ${g[name]}`);
  }
  if (g.inChannels % g.groups !== 0 || g.outChannels % g.groups !== 0) {
    throw new RangeError(
      `conv2d: groups (${g.groups}) must divide inChannels (${g.inChannels}) and outChannels (${g.outChannels})`,
    );
  }
  const need = {
    x: g.batch * g.inChannels * g.inH * g.inW,
    w: g.outChannels * (g.inChannels / g.groups) * g.kernelH * g.kernelW,
    out: g.batch * g.outChannels * g.outH * g.outW,
  };
  for (const key of ['x', 'w', 'out'] as const) {
    const length = lengths[key];
    if (length !== null && length < need[key]) {
      throw new RangeError(`conv2d: ${key}-shaped array has ${length} elements, needs ${need[key]}`);
    }
  }
  return packFields(g, CONV_FIELDS, 'conv2d');
}

const POOL_FIELDS = [
  'batch',
  'channels',
  'inH',
  'inW',
  'kernelH',
  'kernelW',
  'strideH',
  'strideW',
  'padH',
  'padW',
  'outH',
  'outW',
] as const satisfies readonly (keyof Pool2dGeometry)[];

/** Validates a pooling call and packs its geometry for the addon (field order of its PoolGeometry). */
export function poolGeometry(
  op: string,
  g: Pool2dGeometry,
  lengths: Partial<Record<'x' | 'dx' | 'out' | 'dy' | 'argmax', number>>,
): Int32Array {
  for (const name of POOL_FIELDS) {
    const value = g[name];
    if (!Number.isInteger(value) || value < 0) {
      throw new RangeError(`${op}: ${name} must be a non-negative integer, got ${value}`);
    }
  }
  for (const name of ['kernelH', 'kernelW', 'strideH', 'strideW'] as const) {
    if (g[name] < 1) throw new RangeError(`${op}: ${name} must be at least 1, got ${g[name]}`);
  }
  const planes = g.batch * g.channels;
  const inSize = planes * g.inH * g.inW;
  const outSize = planes * g.outH * g.outW;
  const need = { x: inSize, dx: inSize, out: outSize, dy: outSize, argmax: outSize };
  for (const [name, length] of Object.entries(lengths) as [keyof typeof need, number][]) {
    if (length < need[name]) throw new RangeError(`${op}: ${name} has ${length} elements, needs ${need[name]}`);
  }
  return packFields(g, POOL_FIELDS, op);
}

function packFields<G>(g: G, fields: readonly (keyof G)[], op: string): Int32Array {
  const packed = new Int32Array(fields.length);
  for (const [i, name] of fields.entries()) {
    const value = g[name] as number;
    if (value > 0x7fffffff) throw new RangeError(`${op}: ${String(name)} is ${value}, beyond what the native kernels address`);
    packed[i] = value;
  }
  return packed;
}
