import { record } from '../autograd/graph.js';
import { getBackend } from '../backend/registry.js';
import { ArgumentError, DTypeError, ShapeError } from '../errors.js';
import { allocate, isFloat } from '../tensor/dtype.js';
import { contiguousStrides, formatShape, normalizeAxis, sizeOf, type Shape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { binaryKernel, view } from './primitives.js';

/**
 * One entry of a {@link slice} spec, per leading dimension: a number picks one index and drops the
 * dimension (like `x[i]`); `[start, end, step]` (each optional, negative counts from the end, Python-style
 * clamping) keeps a range; `null` keeps the whole dimension.
 */
export type SliceEntry = number | readonly [start?: number, end?: number, step?: number] | null;

interface ViewGeometry {
  shape: number[];
  strides: number[];
  offset: number;
}

function sliceGeometry(x: Tensor, spec: readonly SliceEntry[]): ViewGeometry {
  if (spec.length > x.ndim) throw new ShapeError(`slice: ${spec.length} entries for a tensor of shape ${formatShape(x.shape)}`);
  const shape: number[] = [];
  const strides: number[] = [];
  let offset = x.offset;
  x.shape.forEach((extent, d) => {
    const entry = spec[d] ?? null;
    const stride = x.strides[d]!;
    if (typeof entry === 'number') {
      const i = entry < 0 ? entry + extent : entry;
      if (!Number.isInteger(entry) || i < 0 || i >= extent) {
        throw new ArgumentError(`slice: index ${entry} is out of range for dimension ${d} of size ${extent}`);
      }
      offset += i * stride;
      return;
    }
    const [start, end, step = 1] = entry ?? [];
    if (!Number.isInteger(step) || step <= 0) throw new ArgumentError(`slice: step must be a positive integer, got ${step} in dimension ${d}`);
    const clampIndex = (v: number | undefined, fallback: number): number => {
      if (v === undefined) return fallback;
      const resolved = v < 0 ? v + extent : v;
      return Math.min(Math.max(resolved, 0), extent);
    };
    const from = clampIndex(start, 0);
    const to = clampIndex(end, extent);
    const count = Math.max(0, Math.ceil((to - from) / step));
    offset += count > 0 ? from * stride : 0;
    shape.push(count);
    strides.push(stride * step);
  });
  return { shape, strides, offset };
}

/** Zeros of `shape` with `g` copied into the region `region` describes (for gradients of views). */
function scatterIntoZeros(g: Tensor, shape: Shape, region: (zeros: Tensor) => ViewGeometry): Tensor {
  const zeros = new Tensor(allocate(g.dtype, sizeOf(shape)), shape);
  const target = region(zeros);
  getBackend().copy(g.view(), g.shape, { data: zeros.data, offset: target.offset, strides: target.strides });
  return zeros;
}

/**
 * A view of part of x: `slice(x, [null, [1, 5, 2]])` is `x[:, 1:5:2]`, `slice(x, [0])` is `x[0]`.
 * Trailing dimensions not named are kept whole.
 */
export function slice(x: Tensor, spec: readonly SliceEntry[]): Tensor {
  const geometry = sliceGeometry(x, spec);
  const out = view(x, geometry.shape, geometry.strides, geometry.offset);
  return record('slice', [x], out, (g) => [scatterIntoZeros(g, x.shape, (zeros) => sliceGeometry(zeros, spec))]);
}

/**
 * Pads the trailing dimensions with a constant. `widths[i] = [before, after]` applies to dimension
 * `ndim − widths.length + i`: `pad(x, [[1, 1], [2, 2]])` pads the last two dimensions of NCHW by 1 and 2.
 */
export function pad(x: Tensor, widths: readonly (readonly [number, number])[], value = 0): Tensor {
  if (widths.length > x.ndim) throw new ShapeError(`pad: ${widths.length} padding pairs for a tensor of shape ${formatShape(x.shape)}`);
  const lead = x.ndim - widths.length;
  const before = x.shape.map((_, d) => (d < lead ? 0 : widths[d - lead]![0]));
  const after = x.shape.map((_, d) => (d < lead ? 0 : widths[d - lead]![1]));
  [...before, ...after].forEach((w) => {
    if (!Number.isInteger(w) || w < 0) throw new ArgumentError(`pad: widths must be non-negative integers, got [${widths.map((p) => `[${p.join(',')}]`).join(',')}]`);
  });
  const shape = x.shape.map((d, i) => d + before[i]! + after[i]!);
  const interior: readonly SliceEntry[] = x.shape.map((d, i) => [before[i]!, before[i]! + d] as const);
  const data = allocate(x.dtype, sizeOf(shape));
  data.fill(value);
  const out = new Tensor(data, shape);
  const target = sliceGeometry(out, interior);
  getBackend().copy(x.view(), x.shape, { data, offset: target.offset, strides: target.strides });
  return record('pad', [x], out, (g) => {
    const region = sliceGeometry(g, interior);
    return [view(g, region.shape, region.strides, region.offset)];
  });
}

function assertIndexTensor(index: Tensor, op: string): void {
  if (isFloat(index.dtype)) throw new DTypeError(`${op}: indices must be an integer tensor (int32), got ${index.dtype}`);
}

/**
 * Picks values along `axis` by index, like `torch.gather`: out[i][j][k] = x[i][index[i][j][k]][k] for
 * axis 1. `index` has x's number of dimensions and is no larger in the others; the result has its shape.
 */
export function gather(x: Tensor, axis: number, index: Tensor): Tensor {
  assertIndexTensor(index, 'gather');
  const a = normalizeAxis(axis, x.ndim, 'gather');
  if (index.ndim !== x.ndim || index.shape.some((d, i) => i !== a && d > x.shape[i]!)) {
    throw new ShapeError(`gather: index of shape ${formatShape(index.shape)} does not fit input ${formatShape(x.shape)} along axis ${axis}`);
  }
  const positions = gatherPositions(x.shape, x.strides, x.offset, a, index);
  const out = allocate(x.dtype, positions.length);
  for (let i = 0; i < positions.length; i++) out[i] = x.data[positions[i]!]!;
  return record('gather', [x], new Tensor(out, index.shape), (g) => {
    const dx = allocate(g.dtype, x.size);
    const gData = g.contiguousData();
    const targets = gatherPositions(x.shape, contiguousStrides(x.shape), 0, a, index);
    for (let i = 0; i < targets.length; i++) dx[targets[i]!] += gData[i]!;
    return [new Tensor(dx, x.shape)];
  });
}

/** Storage positions, in a layout given by strides and offset, of every element gather reads. */
function gatherPositions(shape: Shape, strides: readonly number[], offset: number, axis: number, index: Tensor): Int32Array {
  const idx = index.contiguousData();
  const positions = new Int32Array(index.size);
  const idxStrides = contiguousStrides(index.shape);
  const extent = shape[axis]!;
  for (let flat = 0; flat < index.size; flat++) {
    let position = offset;
    let rest = flat;
    for (let d = 0; d < index.ndim; d++) {
      let c = Math.floor(rest / idxStrides[d]!);
      rest -= c * idxStrides[d]!;
      if (d === axis) {
        c = idx[flat]!;
        if (c < 0 || c >= extent) throw new ArgumentError(`gather: index ${c} is out of range for axis ${axis} of size ${extent}`);
      }
      position += c * strides[d]!;
    }
    positions[flat] = position;
  }
  return positions;
}

/** Rows (or slices along `axis`) of x chosen by a 1-D integer tensor of indices; repeats allowed. */
export function indexSelect(x: Tensor, axis: number, indices: Tensor): Tensor {
  assertIndexTensor(indices, 'indexSelect');
  if (indices.ndim !== 1) throw new ShapeError(`indexSelect: indices must be 1-D, got shape ${formatShape(indices.shape)}`);
  const a = normalizeAxis(axis, x.ndim, 'indexSelect');
  const picks = Array.from(indices.contiguousData());
  const extent = x.shape[a]!;
  for (const i of picks) {
    if (i < 0 || i >= extent) throw new ArgumentError(`indexSelect: index ${i} is out of range for axis ${axis} of size ${extent}`);
  }
  const shape = x.shape.map((d, i) => (i === a ? picks.length : d));
  const out = new Tensor(allocate(x.dtype, sizeOf(shape)), shape);
  const along = (t: Tensor, i: number): readonly SliceEntry[] => t.shape.map((_, d) => (d === a ? ([i, i + 1] as const) : null));
  const backend = getBackend();
  picks.forEach((p, i) => {
    const src = sliceGeometry(x, along(x, p));
    const dst = sliceGeometry(out, along(out, i));
    backend.copy({ data: x.data, offset: src.offset, strides: src.strides }, src.shape, { data: out.data, offset: dst.offset, strides: dst.strides });
  });
  return record('indexSelect', [x], out, (g) => {
    const dx = new Tensor(allocate(g.dtype, x.size), x.shape);
    picks.forEach((p, i) => {
      const to = sliceGeometry(dx, along(dx, p));
      const from = sliceGeometry(g, along(g, i));
      const target = view(dx, to.shape, to.strides, to.offset);
      const summed = binaryKernel('add', target, view(g, from.shape, from.strides, from.offset));
      backend.copy(summed.view(), summed.shape, { data: dx.data, offset: to.offset, strides: to.strides });
    });
    return [dx];
  });
}

/** float32 one-hot vectors: shape [...indices.shape, numClasses]. */
export function oneHot(indices: Tensor, numClasses: number): Tensor {
  assertIndexTensor(indices, 'oneHot');
  if (!Number.isInteger(numClasses) || numClasses <= 0) throw new ArgumentError(`oneHot: numClasses must be a positive integer, got ${numClasses}`);
  const idx = indices.contiguousData();
  const out = allocate('float32', idx.length * numClasses);
  for (let i = 0; i < idx.length; i++) {
    const c = idx[i]!;
    if (c < 0 || c >= numClasses) throw new ArgumentError(`oneHot: index ${c} at position ${i} is outside 0..${numClasses - 1}`);
    out[i * numClasses + c] = 1;
  }
  return new Tensor(out, [...indices.shape, numClasses]);
}
