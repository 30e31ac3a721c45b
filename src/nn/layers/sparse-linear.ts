import type { Backend, FusedActivation, PackedSparseMatrix } from '../../backend/backend.js';
import { getBackend } from '../../backend/registry.js';
import { DTypeError, ShapeError } from '../../errors.js';
import { linear } from '../../ops/linear.js';
import { formatShape, sizeOf } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';
import type { Linear } from './linear.js';

/**
 * The least share of zero weights at which the sparse-weight product beats the dense one of a Linear layer,
 * by batch size, from bench/sparse.ts on the native backend (see bench/README.md). A single row pays a
 * gather per nonzero against the dense product's contiguous loads: with weights in cache (the reference
 * CNN's 1600→128) it breaks even between 90 and 95 % zeros, earlier for weights streamed from memory. A
 * batch, where each nonzero multiplies whole vectors of rows, gains from 75 % on every layer measured.
 */
export const SPARSE_LINEAR_MIN_SPARSITY = { singleRow: 0.92, batch: 0.75 } as const;

/**
 * A float32 {@link Linear} layer for inference whose weights are mostly zero: the weights and bias are copied
 * when it is built and packed once per backend by `packSparse`, so each call costs in proportion to the
 * nonzeros. A batch runs the sparse product when the weights have at least
 * {@link SPARSE_LINEAR_MIN_SPARSITY} zeros for its size, else the dense one on the same copy. Only owners of
 * frozen weights build one (a Predictor does): later writes to the source layer are not seen, and no
 * gradient flows through it.
 */
export class SparseLinear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** Share of the weights that are zero. */
  readonly sparsity: number;
  /** A copy of the source's weights [outFeatures, inFeatures] (a buffer: this layer learns nothing). */
  readonly weight: Tensor;
  /** A copy of the source's bias, or null. */
  readonly bias: Tensor | null;
  private packed: PackedSparseMatrix | null = null;
  private packedBy: Backend | null = null;

  /** Copies `source`'s weights and bias (float32). */
  constructor(source: Linear) {
    super();
    for (const [name, tensor] of [['weight', source.weight], ['bias', source.bias]] as const) {
      if (tensor !== null && tensor.dtype !== 'float32') throw new DTypeError(`SparseLinear: the ${name} must be float32, got ${tensor.dtype}`);
    }
    this.inFeatures = source.inFeatures;
    this.outFeatures = source.outFeatures;
    this.weight = new Tensor((source.weight.contiguousData() as Float32Array).slice(), [...source.weight.shape]);
    this.bias = source.bias === null ? null : new Tensor((source.bias.contiguousData() as Float32Array).slice(), [this.outFeatures]);
    this.sparsity = SparseLinear.zeroShare(source);
  }

  /** Share of `layer`'s weights that are zero: what decides whether a SparseLinear copy of it pays. */
  static zeroShare(layer: Linear): number {
    const w = layer.weight.contiguousData();
    let zeros = 0;
    for (let i = 0; i < w.length; i++) if (w[i] === 0) zeros++;
    return w.length === 0 ? 0 : zeros / w.length;
  }

  /** True when a batch of `rows` rows runs the sparse product. */
  runsSparse(rows: number): boolean {
    return this.sparsity >= (rows === 1 ? SPARSE_LINEAR_MIN_SPARSITY.singleRow : SPARSE_LINEAR_MIN_SPARSITY.batch);
  }

  forward(x: Tensor): Tensor {
    return this.forwardFused(x, 'none');
  }

  /** The layer's output with `activation` applied in the same op (what Sequential runs for Linear + ReLU). */
  forwardFused(x: Tensor, activation: FusedActivation): Tensor {
    if (x.shape[x.ndim - 1] !== this.inFeatures) {
      throw new ShapeError(`SparseLinear(${this.inFeatures}→${this.outFeatures}): input ${formatShape(x.shape)} must end in ${this.inFeatures} features`);
    }
    const rows = sizeOf(x.shape.slice(0, -1));
    if (x.dtype !== 'float32' || !this.runsSparse(rows)) return linear(x, this.weight, this.bias, activation);
    const backend = getBackend();
    if (this.packedBy !== backend) {
      this.packed = backend.packSparse(this.weight.data as Float32Array, this.outFeatures, this.inFeatures);
      this.packedBy = backend;
    }
    const out = new Float32Array(rows * this.outFeatures);
    backend.sparseGemm({
      m: rows, a: x.contiguousData() as Float32Array, aOffset: 0, lda: this.inFeatures, w: this.packed!,
      bias: this.bias?.data as Float32Array | undefined, activation, out, outOffset: 0, ldo: this.outFeatures,
    });
    return new Tensor(out, [...x.shape.slice(0, -1), this.outFeatures]);
  }

  override describe(): string {
    return `SparseLinear(in=${this.inFeatures}, out=${this.outFeatures}, ${(100 * this.sparsity).toFixed(1)}% zeros)`;
  }
}
