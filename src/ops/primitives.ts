/**
 * Tensor-level calls of the backend kernels, without autograd. Differentiable ops run their forward
 * through these and write their backward rules with them, so rules never record a graph of their own.
 */
import type { BinaryOp, ReduceOp, UnaryOp } from '../backend/backend.js';
import { getBackend } from '../backend/registry.js';
import { ShapeError } from '../errors.js';
import { allocate, isFloat, promoteTypes, type DType } from '../tensor/dtype.js';
import {
  broadcastShapes,
  contiguousStrides,
  formatShape,
  sameShape,
  sizeOf,
  type Shape,
} from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

/** A tensor operand or a plain number (which takes the other operand's dtype). */
export type TensorLike = Tensor | number;

/**
 * `x` as a tensor. A number becomes a 0-d tensor typed like the other operand (`other`), except that a
 * fractional number next to an integer tensor is float32 — as in PyTorch, `intTensor * 0.5` is float.
 */
export function asTensor(x: TensorLike, other: TensorLike): Tensor {
  if (x instanceof Tensor) return x;
  const otherType = other instanceof Tensor ? other.dtype : 'float32';
  const dtype = isFloat(otherType) || Number.isInteger(x) ? otherType : 'float32';
  const data = allocate(dtype, 1);
  data[0] = x;
  return new Tensor(data, []);
}

/** The dtype float math on `dtype` produces: floats stay, integers become float32. */
export function floatTypeOf(dtype: DType): 'float32' | 'float64' {
  return dtype === 'float64' ? 'float64' : 'float32';
}

/** `x` converted to `dtype` (returned as is when it already has it). */
export function cast(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x;
  const out = allocate(dtype, x.size);
  getBackend().copy(x.view(), x.shape, { data: out, offset: 0, strides: contiguousStrides(x.shape) });
  return new Tensor(out, x.shape);
}

/** A contiguous tensor with x's values (x itself when already contiguous). */
export function contiguous(x: Tensor): Tensor {
  return x.isContiguous() ? x : new Tensor(x.contiguousData(), x.shape);
}

/** Elementwise unary kernel; integer inputs are computed in float32 unless `keepIntegers`. */
export function unaryKernel(op: UnaryOp, x: Tensor, alpha?: number, beta?: number, keepIntegers = false): Tensor {
  const dtype = keepIntegers || isFloat(x.dtype) ? x.dtype : 'float32';
  const out = allocate(dtype, x.size);
  getBackend().unary(op, x.view(), x.shape, out, alpha, beta);
  return new Tensor(out, x.shape);
}

/** The dtype of `op(a, b)`: comparisons give uint8, division and pow always give a float. */
export function binaryResultType(op: BinaryOp, a: DType, b: DType): DType {
  if (op === 'eq' || op === 'ne' || op === 'lt' || op === 'le' || op === 'gt' || op === 'ge') return 'uint8';
  const promoted = promoteTypes(a, b);
  return op === 'div' || op === 'pow' ? floatTypeOf(promoted) : promoted;
}

/** Strides that read `t` as if it had the (broadcast) shape `shape`: 0 along broadcast dimensions. */
export function broadcastStrides(t: Tensor, shape: Shape): number[] {
  const lead = shape.length - t.ndim;
  return shape.map((_, d) => (d < lead || t.shape[d - lead] === 1 ? 0 : t.strides[d - lead]!));
}

/** Elementwise binary kernel with NumPy broadcasting; `name` is the op named in shape errors. */
export function binaryKernel(op: BinaryOp, a: TensorLike, b: TensorLike, name: string = op): Tensor {
  const ta = asTensor(a, b);
  const tb = asTensor(b, ta);
  const shape = broadcastShapes(ta.shape, tb.shape, name);
  const dtype = binaryResultType(op, ta.dtype, tb.dtype);
  const out = allocate(dtype, sizeOf(shape));
  getBackend().binary(
    op,
    { data: ta.data, offset: ta.offset, strides: broadcastStrides(ta, shape) },
    { data: tb.data, offset: tb.offset, strides: broadcastStrides(tb, shape) },
    shape,
    out,
  );
  return new Tensor(out, shape);
}

/** cond ? a : b with broadcasting of all three. */
export function whereKernel(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  const ta = asTensor(a, b);
  const tb = asTensor(b, ta);
  const shape = broadcastShapes(broadcastShapes(cond.shape, ta.shape, 'where'), tb.shape, 'where');
  const dtype = promoteTypes(ta.dtype, tb.dtype);
  const out = allocate(dtype, sizeOf(shape));
  const view = (t: Tensor) => ({ data: t.data, offset: t.offset, strides: broadcastStrides(t, shape) });
  getBackend().where(view(cond), view(cast(ta, dtype)), view(cast(tb, dtype)), shape, out);
  return new Tensor(out, shape);
}

/**
 * Reduction kernel over the flagged dimensions. The result keeps them as size-1 dimensions when
 * `keepDim`, else drops them. Sums of integers are int32; argmax/argmin are int32.
 */
export function reduceKernel(op: ReduceOp, x: Tensor, reduced: readonly boolean[], keepDim: boolean): Tensor {
  const outShape = reducedShape(x.shape, reduced, keepDim);
  const dtype = op === 'argmax' || op === 'argmin' ? 'int32' : op === 'sum' && !isFloat(x.dtype) ? 'int32' : x.dtype;
  const out = allocate(dtype, sizeOf(outShape));
  getBackend().reduce(op, x.view(), x.shape, reduced, out);
  return new Tensor(out, outShape);
}

/** The shape left by reducing the flagged dimensions. */
export function reducedShape(shape: Shape, reduced: readonly boolean[], keepDim: boolean): number[] {
  return keepDim ? shape.map((d, i) => (reduced[i] ? 1 : d)) : shape.filter((_, i) => !reduced[i]);
}

/** A view of `t` with new shape, strides and offset over the same storage. */
export function view(t: Tensor, shape: Shape, strides: readonly number[], offset = t.offset): Tensor {
  return new Tensor(t.data, shape, strides, offset);
}

/** `t` read with a new shape of the same size: a view when contiguous, else a contiguous copy. */
export function reshapeKernel(t: Tensor, shape: Shape): Tensor {
  if (sizeOf(shape) !== t.size) {
    throw new ShapeError(`reshape: cannot view ${formatShape(t.shape)} (${t.size} elements) as ${formatShape(shape)} (${sizeOf(shape)} elements)`);
  }
  const source = contiguous(t);
  return view(source, shape, contiguousStrides(shape));
}

/** `t` broadcast to `shape` as a view with zero strides (no copy). */
export function expandKernel(t: Tensor, shape: Shape): Tensor {
  const full = broadcastShapes(t.shape, shape, 'expand');
  if (!sameShape(full, shape)) {
    throw new ShapeError(`expand: cannot expand ${formatShape(t.shape)} to ${formatShape(shape)}; only size-1 dimensions can grow`);
  }
  return view(t, shape, broadcastStrides(t, shape));
}

/**
 * Sums a broadcast gradient back to the shape of the operand it belongs to: over leading dimensions the
 * operand lacks and over dimensions where it had size 1.
 */
export function sumToShape(g: Tensor, shape: Shape): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.ndim - shape.length;
  const reduced = g.shape.map((d, i) => i < lead || (shape[i - lead] === 1 && d !== 1));
  return reshapeKernel(reduceKernel('sum', g, reduced, false), shape);
}

/** A broadcast gradient brought back to `input`'s shape and dtype. */
export function gradientFor(g: Tensor, input: Tensor): Tensor {
  return cast(sumToShape(g, input.shape), input.dtype);
}
