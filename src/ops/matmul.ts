import { record } from '../autograd/graph.js';
import type { FloatArray } from '../backend/backend.js';
import { getBackend } from '../backend/registry.js';
import { ShapeError } from '../errors.js';
import { allocate, assertFloat, promoteTypes } from '../tensor/dtype.js';
import { broadcastShapes, contiguousStrides, formatShape, sizeOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { cast, contiguous, gradientFor } from './primitives.js';
import { squeeze, transpose, unsqueeze } from './shape.js';

/** How GEMM reads one matrix operand: in place (possibly transposed) when its strides allow. */
interface MatrixOperand {
  tensor: Tensor;
  ld: number;
  trans: boolean;
}

function matrixOperand(t: Tensor): MatrixOperand {
  const nd = t.ndim;
  const rows = t.shape[nd - 2]!;
  const cols = t.shape[nd - 1]!;
  const rowStride = t.strides[nd - 2]!;
  const colStride = t.strides[nd - 1]!;
  if ((colStride === 1 || cols <= 1) && (rows <= 1 || rowStride >= cols)) {
    return { tensor: t, ld: rows <= 1 ? Math.max(cols, 1) : rowStride, trans: false };
  }
  // A transposed view (x.transpose()) is read as is, with GEMM's transpose flag.
  if ((rowStride === 1 || rows <= 1) && (cols <= 1 || colStride >= rows)) {
    return { tensor: t, ld: cols <= 1 ? Math.max(rows, 1) : colStride, trans: true };
  }
  return matrixOperand(contiguous(t));
}

/** Batched matrix product of tensors with ≥ 2 dimensions; batch dimensions broadcast. No autograd. */
function batchedMatmul(a: Tensor, b: Tensor): Tensor {
  const m = a.shape[a.ndim - 2]!;
  const k = a.shape[a.ndim - 1]!;
  const n = b.shape[b.ndim - 1]!;
  if (b.shape[b.ndim - 2] !== k) {
    throw new ShapeError(`matmul: cannot multiply ${formatShape(a.shape)} by ${formatShape(b.shape)}: inner dimensions ${k} and ${b.shape[b.ndim - 2]} differ`);
  }
  const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), 'matmul (batch dimensions)');
  const dtype = promoteTypes(a.dtype, b.dtype);
  const A = matrixOperand(cast(a, dtype));
  const B = matrixOperand(cast(b, dtype));
  const out = allocate(dtype, sizeOf(batch) * m * n) as FloatArray;
  const batchStrides = contiguousStrides(batch);
  const batchOffset = (t: Tensor, index: number): number => {
    // Walks the broadcast batch index back to t's own batch dimensions (stride 0 where t has size 1).
    let offset = t.offset;
    let rest = index;
    const lead = batch.length - (t.ndim - 2);
    const strides = batchStrides;
    for (let d = 0; d < batch.length; d++) {
      const c = Math.floor(rest / strides[d]!);
      rest -= c * strides[d]!;
      const own = d - lead;
      if (own >= 0 && t.shape[own] !== 1) offset += c * t.strides[own]!;
    }
    return offset;
  };
  const backend = getBackend();
  const count = sizeOf(batch);
  for (let i = 0; i < count; i++) {
    backend.gemm({
      m, n, k,
      a: A.tensor.data as FloatArray, aOffset: batchOffset(A.tensor, i), lda: A.ld, transA: A.trans,
      b: B.tensor.data as FloatArray, bOffset: batchOffset(B.tensor, i), ldb: B.ld, transB: B.trans,
      c: out, cOffset: i * m * n, ldc: n,
      alpha: 1, beta: 0,
    });
  }
  return new Tensor(out, [...batch, m, n]);
}

/**
 * Matrix product with NumPy semantics: 1-D operands are treated as a row (left) or column (right) vector
 * and that dimension is dropped from the result; leading batch dimensions broadcast.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  assertFloat(a.dtype, 'matmul: left operand');
  assertFloat(b.dtype, 'matmul: right operand');
  if (a.ndim === 0 || b.ndim === 0) {
    throw new ShapeError(`matmul: operands must have at least 1 dimension, got ${formatShape(a.shape)} and ${formatShape(b.shape)}; use mul for scalars`);
  }
  // With b also 1-D, the inner call has already dropped b's dimension, leaving [1]: squeeze that.
  if (a.ndim === 1) return squeeze(matmul(unsqueeze(a, 0), b), b.ndim === 1 ? -1 : -2);
  if (b.ndim === 1) return squeeze(matmul(a, unsqueeze(b, -1)), -1);
  return record('matmul', [a, b], batchedMatmul(a, b), (g) => [
    a.requiresGrad ? gradientFor(batchedMatmul(g, transpose(b)), a) : null,
    b.requiresGrad ? gradientFor(batchedMatmul(transpose(a), g), b) : null,
  ]);
}
