import { record } from '../autograd/graph.js';
import type { FloatArray, FusedActivation } from '../backend/backend.js';
import { getBackend } from '../backend/registry.js';
import { ShapeError } from '../errors.js';
import { allocateUninitialized, assertFloat, promoteTypes } from '../tensor/dtype.js';
import { formatShape, sizeOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { activationGradient } from './fused-activation.js';
import { cast, reduceKernel } from './primitives.js';

/** How GEMM reads the weight [out, in] as op(B) = Wᵀ: in place when its strides allow, else from a copy. */
interface WeightOperand {
  data: FloatArray;
  offset: number;
  ld: number;
  /** True when W is stored row-major (so op(B) = Wᵀ is B transposed). */
  rowMajor: boolean;
}

function weightOperand(weight: Tensor): WeightOperand {
  const [outFeatures, inFeatures] = weight.shape as [number, number];
  const [rowStride, colStride] = weight.strides as [number, number];
  const data = weight.data as FloatArray;
  if ((colStride === 1 || inFeatures <= 1) && (outFeatures <= 1 || rowStride >= inFeatures)) {
    return { data, offset: weight.offset, ld: outFeatures <= 1 ? Math.max(inFeatures, 1) : rowStride, rowMajor: true };
  }
  // A transposed view (Wᵀ stored row-major) is read as is.
  if ((rowStride === 1 || outFeatures <= 1) && (inFeatures <= 1 || colStride >= outFeatures)) {
    return { data, offset: weight.offset, ld: inFeatures <= 1 ? Math.max(outFeatures, 1) : colStride, rowMajor: false };
  }
  return { data: weight.contiguousData() as FloatArray, offset: 0, ld: inFeatures, rowMajor: true };
}

/**
 * The affine map of a fully connected layer, `act(x · Wᵀ + b)`, as PyTorch's `F.linear`: x is
 * [..., inFeatures], the weight [outFeatures, inFeatures] and the bias [outFeatures]; the result is
 * [..., outFeatures]. It runs as one GEMM whose last pass adds the bias and applies the activation
 * ('relu' computes relu(linear(…)), the way a Linear layer followed by ReLU runs).
 */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null = null, activation: FusedActivation = 'none'): Tensor {
  assertFloat(x.dtype, 'linear: input');
  assertFloat(weight.dtype, 'linear: weight');
  if (weight.ndim !== 2) throw new ShapeError(`linear: weight must be 2-D [outFeatures, inFeatures], got ${formatShape(weight.shape)}`);
  const [outFeatures, inFeatures] = weight.shape as [number, number];
  if (x.ndim === 0 || x.shape[x.ndim - 1] !== inFeatures) {
    throw new ShapeError(`linear: input ${formatShape(x.shape)} must end in ${inFeatures} features to match weight ${formatShape(weight.shape)}`);
  }
  if (bias !== null) {
    assertFloat(bias.dtype, 'linear: bias');
    if (bias.ndim !== 1 || bias.shape[0] !== outFeatures) {
      throw new ShapeError(`linear: bias must have shape [${outFeatures}] (one per output feature), got ${formatShape(bias.shape)}`);
    }
  }
  const dtype = [x, weight, ...(bias ? [bias] : [])].map((t) => t.dtype).reduce(promoteTypes);
  const rows = sizeOf(x.shape.slice(0, -1));
  const xData = cast(x, dtype).contiguousData() as FloatArray;
  const w = weightOperand(cast(weight, dtype));
  const out = allocateUninitialized(dtype, rows * outFeatures) as FloatArray;
  const backend = getBackend();
  backend.gemm({
    m: rows, n: outFeatures, k: inFeatures,
    a: xData, aOffset: 0, lda: Math.max(inFeatures, 1), transA: false,
    b: w.data, bOffset: w.offset, ldb: w.ld, transB: w.rowMajor,
    c: out, cOffset: 0, ldc: Math.max(outFeatures, 1),
    alpha: 1, beta: 0,
    bias: bias ? (cast(bias, dtype).contiguousData() as FloatArray) : null,
    activation,
  });
  const inputs = bias ? [x, weight, bias] : [x, weight];
  const result = new Tensor(out, [...x.shape.slice(0, -1), outFeatures]);
  return record('linear', inputs, result, (gradOut) => {
    const dy = activationGradient(activation, out, cast(gradOut, dtype).contiguousData() as FloatArray);
    let dx: Tensor | null = null;
    let dw: Tensor | null = null;
    if (x.requiresGrad) {
      // dx = dy · W
      const data = allocateUninitialized(dtype, x.size) as FloatArray;
      backend.gemm({
        m: rows, n: inFeatures, k: outFeatures,
        a: dy, aOffset: 0, lda: Math.max(outFeatures, 1), transA: false,
        b: w.data, bOffset: w.offset, ldb: w.ld, transB: !w.rowMajor,
        c: data, cOffset: 0, ldc: Math.max(inFeatures, 1),
        alpha: 1, beta: 0,
      });
      dx = cast(new Tensor(data, x.shape), x.dtype);
    }
    if (weight.requiresGrad) {
      // dW = dyᵀ · x
      const data = allocateUninitialized(dtype, weight.size) as FloatArray;
      backend.gemm({
        m: outFeatures, n: inFeatures, k: rows,
        a: dy, aOffset: 0, lda: Math.max(outFeatures, 1), transA: true,
        b: xData, bOffset: 0, ldb: Math.max(inFeatures, 1), transB: false,
        c: data, cOffset: 0, ldc: Math.max(inFeatures, 1),
        alpha: 1, beta: 0,
      });
      dw = cast(new Tensor(data, weight.shape), weight.dtype);
    }
    const db = bias?.requiresGrad
      ? cast(reduceKernel('sum', new Tensor(dy, [rows, outFeatures]), [true, false], false), bias.dtype)
      : null;
    return [dx, dw, db];
  });
}
