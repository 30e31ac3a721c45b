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

/**
 * `value` checked to be an integer in [min, 2³¹), what a geometry field of the addon holds (min is 0 or 1),
 * with the js backend's messages.
 */
function field(op: string, name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`${op}: ${name} must be a non-negative integer, got ${value}`);
  if (value < min) throw new RangeError(`${op}: ${name} must be at least ${min}, got ${value}`);
  if (value > 0x7fffffff) throw new RangeError(`${op}: ${name} is ${value}, beyond what the native kernels address`);
  return value;
}

// Geometries travel to the addon in these arrays, reused by every call: kernel calls are synchronous, and a
// fresh typed array costs as much as the validation itself. Fields are read one by one (not by a list of
// names), which keeps the property loads monomorphic.
const convFields = new Int32Array(16);
const poolFields = new Int32Array(12);

/** Lengths of the arrays a convolution checks, by the role they play (null: an array not passed in). */
export interface ConvLengths {
  x: number;
  w: number;
  out: number | null;
}

/**
 * Validates a convolution and packs its geometry for the addon, in the field order of its ConvGeometry.
 * The array is reused: it is valid until the next call.
 */
export function convGeometry(g: Conv2dGeometry, lengths: ConvLengths): Int32Array {
  const f = convFields;
  f[0] = field('conv2d', 'batch', g.batch, 0);
  f[1] = field('conv2d', 'inChannels', g.inChannels, 0);
  f[2] = field('conv2d', 'inH', g.inH, 0);
  f[3] = field('conv2d', 'inW', g.inW, 0);
  f[4] = field('conv2d', 'outChannels', g.outChannels, 0);
  f[5] = field('conv2d', 'kernelH', g.kernelH, 1);
  f[6] = field('conv2d', 'kernelW', g.kernelW, 1);
  f[7] = field('conv2d', 'strideH', g.strideH, 1);
  f[8] = field('conv2d', 'strideW', g.strideW, 1);
  f[9] = field('conv2d', 'padTop', g.padTop, 0);
  f[10] = field('conv2d', 'padLeft', g.padLeft, 0);
  f[11] = field('conv2d', 'dilationH', g.dilationH, 1);
  f[12] = field('conv2d', 'dilationW', g.dilationW, 1);
  f[13] = field('conv2d', 'groups', g.groups, 1);
  f[14] = field('conv2d', 'outH', g.outH, 0);
  f[15] = field('conv2d', 'outW', g.outW, 0);
  if (g.inChannels % g.groups !== 0 || g.outChannels % g.groups !== 0) {
    throw new RangeError(
      `conv2d: groups (${g.groups}) must divide inChannels (${g.inChannels}) and outChannels (${g.outChannels})`,
    );
  }
  checkLength('conv2d: x-shaped array', lengths.x, g.batch * g.inChannels * g.inH * g.inW);
  checkLength('conv2d: w-shaped array', lengths.w, g.outChannels * (g.inChannels / g.groups) * g.kernelH * g.kernelW);
  if (lengths.out !== null) checkLength('conv2d: out-shaped array', lengths.out, g.batch * g.outChannels * g.outH * g.outW);
  return f;
}

/** Lengths of the arrays a pooling kernel checks, by their names in its messages. */
export type PoolLengths = Partial<Record<'x' | 'dx' | 'out' | 'dy' | 'argmax', number>>;

/**
 * Validates a pooling call and packs its geometry for the addon, in the field order of its PoolGeometry.
 * The array is reused: it is valid until the next call.
 */
export function poolGeometry(op: string, g: Pool2dGeometry, lengths: PoolLengths): Int32Array {
  const f = poolFields;
  f[0] = field(op, 'batch', g.batch, 0);
  f[1] = field(op, 'channels', g.channels, 0);
  f[2] = field(op, 'inH', g.inH, 0);
  f[3] = field(op, 'inW', g.inW, 0);
  f[4] = field(op, 'kernelH', g.kernelH, 1);
  f[5] = field(op, 'kernelW', g.kernelW, 1);
  f[6] = field(op, 'strideH', g.strideH, 1);
  f[7] = field(op, 'strideW', g.strideW, 1);
  f[8] = field(op, 'padH', g.padH, 0);
  f[9] = field(op, 'padW', g.padW, 0);
  f[10] = field(op, 'outH', g.outH, 0);
  f[11] = field(op, 'outW', g.outW, 0);
  const planes = g.batch * g.channels;
  const inSize = planes * g.inH * g.inW;
  const outSize = planes * g.outH * g.outW;
  if (lengths.x !== undefined) checkLength(`${op}: x`, lengths.x, inSize);
  if (lengths.dx !== undefined) checkLength(`${op}: dx`, lengths.dx, inSize);
  if (lengths.out !== undefined) checkLength(`${op}: out`, lengths.out, outSize);
  if (lengths.dy !== undefined) checkLength(`${op}: dy`, lengths.dy, outSize);
  if (lengths.argmax !== undefined) checkLength(`${op}: argmax`, lengths.argmax, outSize);
  return f;
}

function checkLength(what: string, length: number, needed: number): void {
  if (length < needed) throw new RangeError(`${what} has ${length} elements, needs ${needed}`);
}
