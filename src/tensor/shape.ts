import { ArgumentError, ShapeError } from '../errors.js';

export { contiguousStrides } from '../backend/strided.js';

/** A tensor shape: one non-negative extent per dimension; `[]` is a scalar. */
export type Shape = readonly number[];

/** Number of elements of a shape (1 for a scalar, 0 when any extent is 0). */
export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** `[2,3]` — how shapes appear in messages. */
export function formatShape(shape: Shape): string {
  return `[${shape.join(',')}]`;
}

/** Throws unless every extent is a non-negative integer. */
export function validateShape(shape: Shape, what: string): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new ShapeError(`${what}: shape ${formatShape(shape)} must hold non-negative integers`);
    }
  }
}

/** Resolves a possibly negative axis against `ndim`, with an error naming the op. */
export function normalizeAxis(axis: number, ndim: number, op: string): number {
  const a = axis < 0 ? axis + ndim : axis;
  if (ndim === 0) throw new ArgumentError(`${op}: a scalar (0-dimensional tensor) has no axis ${axis}; reshape it to [1] first`);
  if (!Number.isInteger(axis) || a < 0 || a >= ndim) {
    throw new ArgumentError(`${op}: axis ${axis} is out of range for a tensor with ${ndim} dimensions (valid: ${-ndim}..${ndim - 1})`);
  }
  return a;
}

/**
 * Resolves the axes of a reduction: `undefined` means all, a number one axis; duplicates are an error.
 * Returns a flag per dimension.
 */
export function reducedAxes(axes: number | readonly number[] | undefined, ndim: number, op: string): boolean[] {
  const flags = new Array<boolean>(ndim).fill(axes === undefined);
  if (axes === undefined) return flags;
  for (const axis of typeof axes === 'number' ? [axes] : axes) {
    const a = normalizeAxis(axis, ndim, op);
    if (flags[a]) throw new ArgumentError(`${op}: axis ${axis} is given twice`);
    flags[a] = true;
  }
  return flags;
}

/** The NumPy broadcast of two shapes, or a {@link ShapeError} naming the op and both shapes. */
export function broadcastShapes(a: Shape, b: Shape, op: string): number[] {
  const ndim = Math.max(a.length, b.length);
  const out = new Array<number>(ndim);
  for (let i = 0; i < ndim; i++) {
    const da = a[a.length - ndim + i] ?? 1;
    const db = b[b.length - ndim + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(
        `${op}: shapes ${formatShape(a)} and ${formatShape(b)} cannot be broadcast together ` +
          `(dimension ${i - ndim}: ${da} vs ${db}); sizes must match or be 1`,
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** True when two shapes are identical. */
export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
