import { record } from '../autograd/graph.js';
import { ArgumentError, ShapeError } from '../errors.js';
import { formatShape, normalizeAxis, sizeOf, type Shape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { cast as castKernel, contiguous as contiguousKernel, expandKernel, reshapeKernel, sumToShape, view } from './primitives.js';
import type { DType } from '../tensor/dtype.js';

/**
 * `x` with a new shape of the same size; one extent may be −1 (inferred). A view when x is contiguous,
 * a copy otherwise.
 */
export function reshape(x: Tensor, shape: Shape): Tensor {
  const resolved = resolveShape(shape, x.size, x.shape);
  return record('reshape', [x], reshapeKernel(x, resolved), (g) => [reshapeKernel(g, x.shape)]);
}

function resolveShape(shape: Shape, size: number, from: Shape): number[] {
  const inferred = shape.filter((d) => d === -1).length;
  if (inferred > 1) throw new ShapeError(`reshape: only one dimension can be −1, got ${formatShape(shape)}`);
  for (const d of shape) {
    if (d !== -1 && (!Number.isInteger(d) || d < 0)) throw new ShapeError(`reshape: invalid extent ${d} in ${formatShape(shape)}`);
  }
  if (inferred === 0) {
    if (sizeOf(shape) !== size) {
      throw new ShapeError(`reshape: cannot reshape ${formatShape(from)} (${size} elements) to ${formatShape(shape)} (${sizeOf(shape)} elements)`);
    }
    return [...shape];
  }
  const known = shape.reduce((n, d) => (d === -1 ? n : n * d), 1);
  if (known === 0 || size % known !== 0) {
    throw new ShapeError(`reshape: cannot reshape ${formatShape(from)} (${size} elements) to ${formatShape(shape)}`);
  }
  return shape.map((d) => (d === -1 ? size / known : d));
}

/** Merges dimensions startDim…endDim (inclusive) into one; `flatten(x, 1)` keeps the batch dimension. */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  if (x.ndim === 0) return reshape(x, [1]);
  const start = normalizeAxis(startDim, x.ndim, 'flatten');
  const end = normalizeAxis(endDim, x.ndim, 'flatten');
  if (start > end) throw new ArgumentError(`flatten: startDim (${startDim}) must not come after endDim (${endDim})`);
  const merged = sizeOf(x.shape.slice(start, end + 1));
  return reshape(x, [...x.shape.slice(0, start), merged, ...x.shape.slice(end + 1)]);
}

/** Removes size-1 dimensions: the one at `axis`, or all of them. */
export function squeeze(x: Tensor, axis?: number): Tensor {
  if (axis === undefined) return reshape(x, x.shape.filter((d) => d !== 1));
  const a = normalizeAxis(axis, x.ndim, 'squeeze');
  if (x.shape[a] !== 1) throw new ShapeError(`squeeze: dimension ${axis} of ${formatShape(x.shape)} has size ${x.shape[a]}, not 1`);
  return reshape(x, x.shape.filter((_, i) => i !== a));
}

/** Inserts a size-1 dimension at `axis` (−1 appends). */
export function unsqueeze(x: Tensor, axis: number): Tensor {
  const a = normalizeAxis(axis, x.ndim + 1, 'unsqueeze');
  return reshape(x, [...x.shape.slice(0, a), 1, ...x.shape.slice(a)]);
}

/** Reorders the dimensions (a view): `permute(x, [0, 2, 3, 1])` turns NCHW into NHWC. */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  if (dims.length !== x.ndim) {
    throw new ShapeError(`permute: got ${dims.length} dimensions [${dims.join(',')}] for a tensor of shape ${formatShape(x.shape)}`);
  }
  const order = dims.map((d) => normalizeAxis(d, x.ndim, 'permute'));
  if (new Set(order).size !== order.length) throw new ArgumentError(`permute: dimensions [${dims.join(',')}] repeat`);
  const out = view(x, order.map((d) => x.shape[d]!), order.map((d) => x.strides[d]!));
  const inverse = new Array<number>(order.length);
  order.forEach((d, i) => (inverse[d] = i));
  return record('permute', [x], out, (g) => [view(g, inverse.map((d) => g.shape[d]!), inverse.map((d) => g.strides[d]!))]);
}

/** Swaps two dimensions (a view); defaults to the last two, the matrix transpose. */
export function transpose(x: Tensor, dim0 = -2, dim1 = -1): Tensor {
  if (x.ndim < 2 && dim0 === -2 && dim1 === -1) return x;
  const order = x.shape.map((_, i) => i);
  const a = normalizeAxis(dim0, x.ndim, 'transpose');
  const b = normalizeAxis(dim1, x.ndim, 'transpose');
  [order[a], order[b]] = [order[b]!, order[a]!];
  return permute(x, order);
}

/** Broadcasts x to `shape` without copying (size-1 dimensions repeat; new leading ones are added). */
export function expand(x: Tensor, shape: Shape): Tensor {
  return record('expand', [x], expandKernel(x, shape), (g) => [sumToShape(g, x.shape)]);
}

/** x laid out contiguously (x itself when it already is). */
export function contiguous(x: Tensor): Tensor {
  if (x.isContiguous()) return x;
  return record('contiguous', [x], contiguousKernel(x), (g) => [g]);
}

/** x converted to `dtype`; gradients flow between float types. */
export function toType(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x;
  return record('cast', [x], castKernel(x, dtype), (g) => [castKernel(g, x.dtype)]);
}
