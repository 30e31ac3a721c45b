/**
 * Elementwise kernels and sums of the native backend. The addon covers float32 data laid out as an
 * outer × inner grid with inner strides of 0 or 1 (contiguous tensors, scalars, a row or column broadcast
 * against a matrix) for relu, the arithmetic and comparison ops, where and sum, plus the contiguous ReLU
 * gradient and float32 copies of any non-negative layout; everything else runs on the js backend's
 * kernels, which give the same results.
 */
import type { Backend, BinaryOp, NumericArray, StridedView } from '../backend.js';
import {
  binary as jsBinary,
  copy as jsCopy,
  reluBackward as jsReluBackward,
  unary as jsUnary,
  where as jsWhere,
} from '../js/elementwise.js';
import { reduce as jsReduce } from '../js/reduce.js';
import { coalesce, contiguousStrides } from '../strided.js';
import type { NativeAddon } from './addon.js';

/** How the addon walks one operand: [offset, outerStride, innerStride]. */
type GridOperand = [offset: number, outer: number, inner: number];

/** An elementwise problem as an outer × inner grid, with each input's walk. */
interface Grid {
  outer: number;
  inner: number;
  operands: GridOperand[];
}

/**
 * The grid that walks `views` over `shape` (the output being contiguous), or null when the layout needs
 * more than two dimensions or an inner stride other than 0 or 1.
 */
function gridOf(shape: readonly number[], views: readonly StridedView[]): Grid | null {
  const { shape: dims, strides } = coalesce(shape, [...views.map((v) => v.strides), contiguousStrides(shape)]);
  const inputs = strides.slice(0, views.length);
  if (dims.length === 0) return { outer: 1, inner: 1, operands: views.map((v) => [v.offset, 0, 0]) };
  if (dims.length === 1) {
    const [n] = dims as [number];
    if (inputs.some(([s]) => s! < 0)) return null;
    // A single strided dimension becomes n rows of one element.
    const unit = inputs.every(([s]) => s === 0 || s === 1);
    return {
      outer: unit ? 1 : n,
      inner: unit ? n : 1,
      operands: views.map((v, k) => (unit ? [v.offset, 0, inputs[k]![0]!] : [v.offset, inputs[k]![0]!, 0])),
    };
  }
  if (dims.length > 2) return null;
  const [outer, inner] = dims as [number, number];
  if (!inputs.every(([so, si]) => so! >= 0 && (si === 0 || si === 1))) return null;
  return { outer, inner, operands: views.map((v, k) => [v.offset, inputs[k]![0]!, inputs[k]![1]!]) };
}

const ARITHMETIC = new Set<BinaryOp>(['add', 'sub', 'mul', 'div', 'maximum', 'minimum']);
const COMPARISONS = new Set<BinaryOp>(['eq', 'ne', 'lt', 'le', 'gt', 'ge']);

/** The native elementwise and reduction kernels over a loaded addon. */
export function nativeElementwise(
  addon: NativeAddon,
): Pick<Backend, 'unary' | 'binary' | 'where' | 'reluBackward' | 'copy' | 'reduce'> {
  return {
    unary(op, x, shape, out, alpha, beta) {
      if (op === 'relu' && x.data instanceof Float32Array && out instanceof Float32Array) {
        const grid = gridOf(shape, [x]);
        if (grid !== null) return addon.unary(op, x.data, ...grid.operands[0]!, out, grid.outer, grid.inner);
      }
      jsUnary(op, x, shape, out, alpha, beta);
    },

    binary(op, a, b, shape, out: NumericArray) {
      const outFits = ARITHMETIC.has(op) ? out instanceof Float32Array : COMPARISONS.has(op) && out instanceof Uint8Array;
      if (outFits && a.data instanceof Float32Array && b.data instanceof Float32Array) {
        const grid = gridOf(shape, [a, b]);
        if (grid !== null) {
          const [ga, gb] = grid.operands as [GridOperand, GridOperand];
          return addon.binary(op, a.data, ...ga, b.data, ...gb, out as Float32Array | Uint8Array, grid.outer, grid.inner);
        }
      }
      jsBinary(op, a, b, shape, out);
    },

    where(cond, a, b, shape, out) {
      if (
        cond.data instanceof Uint8Array &&
        a.data instanceof Float32Array &&
        b.data instanceof Float32Array &&
        out instanceof Float32Array
      ) {
        const grid = gridOf(shape, [cond, a, b]);
        if (grid !== null) {
          const [gc, ga, gb] = grid.operands as [GridOperand, GridOperand, GridOperand];
          return addon.where(cond.data, ...gc, a.data, ...ga, b.data, ...gb, out, grid.outer, grid.inner);
        }
      }
      jsWhere(cond, a, b, shape, out);
    },

    copy(src, shape, dst) {
      // Copies within one buffer stay on the js kernel, whose row copies handle overlap.
      if (src.data instanceof Float32Array && dst.data instanceof Float32Array && src.data.buffer !== dst.data.buffer) {
        // Merged dimensions make most copies one row or one transpose.
        const { shape: dims, strides } = coalesce(shape, [src.strides, dst.strides]);
        const [from, to] = strides as [number[], number[]];
        if (from.every((s) => s >= 0) && to.every((s) => s > 0)) {
          return addon.copy(src.data, src.offset, dst.data, dst.offset, Float64Array.from([...dims, ...from, ...to]));
        }
      }
      jsCopy(src, shape, dst);
    },

    reluBackward(x, dy, dx) {
      if (x instanceof Float32Array && dy instanceof Float32Array && dx instanceof Float32Array) {
        return addon.reluBackward(x, dy, dx);
      }
      jsReluBackward(x, dy, dx);
    },

    reduce(op, x, shape, reduced, out) {
      if (op === 'sum' && x.data instanceof Float32Array && out instanceof Float32Array && x.strides.every((s) => s >= 0)) {
        const layout = Float64Array.from([...shape, ...x.strides]);
        return addon.sum(x.data, x.offset, layout, Uint8Array.from(reduced, (r) => (r ? 1 : 0)), out);
      }
      jsReduce(op, x, shape, reduced, out);
    },
  };
}
