import type { NumericArray, StridedView } from '../backend/backend.js';
import { getBackend } from '../backend/registry.js';
import { AutogradError, DTypeError, ShapeError } from '../errors.js';
import { allocate, dtypeOfArray, isFloat, type DType } from './dtype.js';
import { formatTensor } from './format.js';
import { contiguousStrides, formatShape, sizeOf, type Shape } from './shape.js';

/**
 * The autograd node that produced a tensor. Defined here only as the shape the tensor holds; the autograd
 * layer creates and runs them.
 */
export interface GradFn {
  /** The op that produced the tensor (`'mul'`, `'conv2d'`, …). */
  readonly name: string;
  /** The op's tensor inputs, in order. */
  readonly inputs: readonly Tensor[];
}

/** A nested array of numbers, as accepted by `fromArray` and returned by `toArray`. */
export type NestedArray = number | NestedArray[];

/**
 * An n-dimensional array: typed-array storage seen through a shape, strides and an offset. Several tensors
 * may share one storage (views: reshape, transpose, slice, expand), so ops never write into their inputs.
 * Memory is garbage-collected; there is nothing to dispose.
 *
 * Differentiable methods (`add`, `matmul`, `sum`, …) and `backward()` are added by the ops and autograd
 * layers; this class holds the data and what autograd needs to find its way back.
 */
export class Tensor {
  /** The storage; shared with views. Read it through `toTypedArray()` unless you know the layout. */
  readonly data: NumericArray;
  readonly shape: Shape;
  /** Elements to skip in `data` per step along each dimension (0 for a broadcast dimension). */
  readonly strides: readonly number[];
  /** Index in `data` of the first element. */
  readonly offset: number;
  readonly dtype: DType;
  /** The accumulated gradient after `backward()`, for leaves that require it (and retained non-leaves). */
  grad: Tensor | null = null;
  /** The node that produced this tensor, or null for a leaf. */
  gradFn: GradFn | null = null;
  /** Set by `retainGrad()`: keep `grad` on this non-leaf tensor after backward. */
  retainsGrad = false;
  private requiresGradFlag = false;

  /**
   * Wraps storage without copying. Most code should use the creation functions (`zeros`, `fromArray`, …).
   * @param strides defaults to row-major contiguous strides
   */
  constructor(data: NumericArray, shape: Shape, strides?: readonly number[], offset = 0) {
    this.data = data;
    this.shape = Object.freeze([...shape]);
    this.strides = Object.freeze(strides ? [...strides] : contiguousStrides(shape));
    this.offset = offset;
    this.dtype = dtypeOfArray(data);
  }

  /** Number of elements. */
  get size(): number {
    return sizeOf(this.shape);
  }

  /** Number of dimensions. */
  get ndim(): number {
    return this.shape.length;
  }

  /** Whether gradients flow to this tensor. Only float tensors can require them. */
  get requiresGrad(): boolean {
    return this.requiresGradFlag;
  }

  set requiresGrad(flag: boolean) {
    if (flag && !isFloat(this.dtype)) {
      throw new DTypeError(`requiresGrad: only float tensors can require gradients, this one is ${this.dtype}`);
    }
    if (!flag && this.gradFn !== null) {
      throw new AutogradError(
        `requiresGrad: cannot turn gradients off on the output of '${this.gradFn.name}'; use .detach() instead`,
      );
    }
    this.requiresGradFlag = flag;
  }

  /** Sets `requiresGrad` and returns this tensor, for chaining: `randn([3, 4]).setRequiresGrad()`. */
  setRequiresGrad(flag = true): this {
    this.requiresGrad = flag;
    return this;
  }

  /** True for a tensor no op produced (user-created data or parameters). */
  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  /** Keeps `grad` on this non-leaf tensor after backward (leaves always keep theirs). */
  retainGrad(): this {
    this.retainsGrad = true;
    return this;
  }

  /** True when the elements are laid out row-major without gaps (views may not be). */
  isContiguous(): boolean {
    let expected = 1;
    for (let d = this.shape.length - 1; d >= 0; d--) {
      const extent = this.shape[d]!;
      if (extent !== 1 && this.strides[d] !== expected) return false;
      expected *= extent;
    }
    return true;
  }

  /** A tensor sharing this storage, cut off from autograd. */
  detach(): Tensor {
    return new Tensor(this.data, this.shape, this.strides, this.offset);
  }

  /** The strided view kernels read. */
  view(): StridedView {
    return { data: this.data, offset: this.offset, strides: this.strides };
  }

  /**
   * The elements in row-major order. Returns the storage itself (or a subarray of it) when it already is
   * laid out that way — treat it as read-only — otherwise a packed copy. Kernels use this to get contiguous input cheaply.
   */
  contiguousData(): NumericArray {
    if (this.isContiguous()) {
      const whole = this.offset === 0 && this.data.length === this.size;
      return whole ? this.data : this.data.subarray(this.offset, this.offset + this.size);
    }
    const out = allocate(this.dtype, this.size);
    getBackend().copy(this.view(), this.shape, { data: out, offset: 0, strides: contiguousStrides(this.shape) });
    return out;
  }

  /** A fresh row-major copy of the elements, safe to modify. */
  toTypedArray(): NumericArray {
    const data = this.contiguousData();
    return data.buffer === this.data.buffer ? data.slice() : data;
  }

  /** The elements as (nested) JavaScript arrays; a scalar gives a number. */
  toArray(): NestedArray {
    const flat = this.contiguousData();
    const build = (dim: number, start: number): NestedArray => {
      if (dim === this.shape.length) return flat[start]!;
      const extent = this.shape[dim]!;
      const step = sizeOf(this.shape.slice(dim + 1));
      const items: NestedArray[] = new Array(extent);
      for (let i = 0; i < extent; i++) items[i] = build(dim + 1, start + i * step);
      return items;
    };
    return build(0, 0);
  }

  /** The value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) {
      throw new ShapeError(`item: the tensor must have exactly one element, it has shape ${formatShape(this.shape)}`);
    }
    return this.data[this.offset]!;
  }

  /** A readable rendering: values (summarized when large), shape and dtype. */
  toString(): string {
    return formatTensor(this);
  }
}
