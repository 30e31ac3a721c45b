/**
 * The Backend interface: the small set of kernels every compute backend implements.
 *
 * Backends work on plain typed arrays and shape descriptors; they know nothing of tensors or autograd.
 * Inputs to GEMM, convolution and pooling are contiguous row-major buffers addressed by an offset;
 * elementwise and reduction kernels take explicit strides so that views need no copy.
 */

/** Floating-point storage a kernel can compute in. */
export type FloatArray = Float32Array | Float64Array;

/** Any storage a tensor may have. */
export type NumericArray = Float32Array | Float64Array | Int32Array | Int8Array | Uint8Array;

/**
 * An activation a kernel applies to its outputs as it writes them, so that a layer followed by ReLU costs
 * no second pass over memory. `relu` is max(x, 0) with NaN kept and −0 made +0, as the unary kernel.
 */
export type FusedActivation = 'none' | 'relu';

/**
 * Arguments of `C = act(alpha · op(A) · op(B) + beta · C + bias)`, with op(X) = X or Xᵀ; all row-major; C must
 * not overlap A or B. Without `bias` and `activation` this is the plain BLAS product.
 */
export interface GemmArgs {
  /** Rows of op(A) and of C. */
  m: number;
  /** Columns of op(B) and of C. */
  n: number;
  /** Columns of op(A) = rows of op(B). */
  k: number;
  a: FloatArray;
  aOffset: number;
  /** Row stride of A as stored (k when A is m×k and not transposed, m when transposed). */
  lda: number;
  transA: boolean;
  b: FloatArray;
  bOffset: number;
  /** Row stride of B as stored. */
  ldb: number;
  transB: boolean;
  c: FloatArray;
  cOffset: number;
  ldc: number;
  /** As in BLAS, alpha = 0 (or k = 0) reduces to C = beta · C without reading A or B. */
  alpha: number;
  /** 0 overwrites C (its old contents, even NaN, are ignored); 1 accumulates into it. */
  beta: number;
  /** n values (from index 0) added to every row of C after the product; absent or null adds nothing. */
  bias?: FloatArray | null;
  /** Applied to every element of C last; absent means 'none'. */
  activation?: FusedActivation;
}

/**
 * A right-hand GEMM operand packed once into the layout a backend's micro-kernel prefers, so weights that
 * do not change between calls are not re-packed.
 */
export interface PackedMatrix {
  readonly backend: string;
  /** Rows of op(B). */
  readonly k: number;
  /** Columns of op(B). */
  readonly n: number;
}

/** `C = alpha · op(A) · B + beta · C` where B was packed by {@link Backend.packB}. */
export type PackedGemmArgs = Omit<GemmArgs, 'b' | 'bOffset' | 'ldb' | 'transB' | 'n' | 'k'> & {
  b: PackedMatrix;
};

/**
 * Geometry of a 2-D convolution over NCHW input and [outChannels, inChannels / groups, kernelH, kernelW]
 * weights. The caller resolves padding modes and output sizes; padding may be asymmetric ('same' with an
 * even kernel pads more at the bottom/right), so only the top/left padding is given and the output size
 * bounds the rest (an output smaller than the padded input simply leaves the last rows/columns unused).
 */
export interface Conv2dGeometry {
  batch: number;
  inChannels: number;
  inH: number;
  inW: number;
  outChannels: number;
  kernelH: number;
  kernelW: number;
  strideH: number;
  strideW: number;
  padTop: number;
  padLeft: number;
  dilationH: number;
  dilationW: number;
  groups: number;
  outH: number;
  outW: number;
}

/** Geometry of a 2-D pooling window over NCHW input (padding is symmetric, as in PyTorch). */
export interface Pool2dGeometry {
  batch: number;
  channels: number;
  inH: number;
  inW: number;
  kernelH: number;
  kernelW: number;
  strideH: number;
  strideW: number;
  padH: number;
  padW: number;
  outH: number;
  outW: number;
}

/** Unary elementwise kernels. Parameterized ones read `alpha` / `beta` (documented per name). */
export type UnaryOp =
  | 'neg'
  | 'exp'
  | 'log'
  | 'sqrt'
  | 'rsqrt'
  | 'abs'
  | 'sign'
  | 'relu'
  /** alpha: negative slope */
  | 'leakyRelu'
  /** alpha: scale of the negative part */
  | 'elu'
  /** exact GELU, x · Φ(x) */
  | 'gelu'
  | 'erf'
  | 'sigmoid'
  | 'tanh'
  | 'softplus'
  /** alpha: lower bound, beta: upper bound (either may be ±Infinity) */
  | 'clamp'
  /** alpha: exponent */
  | 'powScalar'
  | 'square'
  | 'reciprocal';

/** Binary elementwise kernels; comparisons write 1 or 0. */
export type BinaryOp =
  | 'add'
  | 'sub'
  | 'mul'
  | 'div'
  | 'pow'
  | 'maximum'
  | 'minimum'
  | 'eq'
  | 'ne'
  | 'lt'
  | 'le'
  | 'gt'
  | 'ge';

/** Reduction kernels. `argmax`/`argmin` write the index of the first extreme along the reduced extent. */
export type ReduceOp = 'sum' | 'max' | 'min' | 'argmax' | 'argmin';

/** A strided view of a buffer: element (i0, i1, …) lives at `offset + Σ i_d · strides[d]`. */
export interface StridedView {
  data: NumericArray;
  offset: number;
  /** One stride per output dimension; 0 for a broadcast dimension. */
  strides: readonly number[];
}

/** The hyperparameters of one Adam or AdamW update, with the step's bias corrections worked out. */
export interface AdamStep {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** AdamW: scale p by 1 − lr · weightDecay first; Adam: add weightDecay · p to the gradient. */
  decoupled: boolean;
  /** lr / (1 − beta1ᵗ). */
  stepSize: number;
  /** √(1 − beta2ᵗ). */
  biasCorrection2Sqrt: number;
}

/**
 * Signed 8-bit weights `[n, k]` (n output channels, k the reduction) packed once by a backend for
 * {@link Backend.qgemm} and {@link Backend.qconv2d}.
 */
export interface PackedInt8Matrix {
  readonly backend: string;
  /** The reduction length (columns of the unpacked weights). */
  readonly k: number;
  /** Output channels (rows of the unpacked weights). */
  readonly n: number;
}

/**
 * How the exact int32 accumulators of an integer product become outputs. For output channel j, with
 * `acc = Σ_k a[k] · w[j, k]` (u8 × s8), every backend computes in float32, bit for bit:
 * `v = fround(fround(acc + bias[j]) · scale[j])`.
 * - `uint8`: `out = clamp(roundHalfEven(v) + zeroPoint, min, max)`; a fused ReLU is `min = zeroPoint`.
 * - `float32`: `out = fround(v + offset[j])` (offset null adds nothing): a dequantized output.
 * Callers fold the activation zero point into the bias (`bias[j] -= zeroPoint · Σ_k w[j, k]`).
 */
export type Requantization =
  | { kind: 'uint8'; bias: Int32Array; scale: Float32Array; zeroPoint: number; min: number; max: number }
  | { kind: 'float32'; bias: Int32Array; scale: Float32Array; offset: Float32Array | null };

/** Arguments of the integer product `out[m, n] = requantize(a[m, k] · w[n, k]ᵀ)`, row-major. */
export interface QGemmArgs {
  m: number;
  /** Unsigned 8-bit activations. */
  a: Uint8Array;
  aOffset: number;
  lda: number;
  w: PackedInt8Matrix;
  requant: Requantization;
  /** Uint8Array for a `uint8` requantization, Float32Array for `float32`. */
  out: Uint8Array | Float32Array;
  outOffset: number;
  ldo: number;
}

/**
 * Float32 weights `[n, k]` (n output features, k the reduction) packed once by a backend for
 * {@link Backend.sparseGemm}: only the nonzero weights are kept, so the product costs in proportion to them.
 */
export interface PackedSparseMatrix {
  readonly backend: string;
  /** The reduction length (columns of the unpacked weights). */
  readonly k: number;
  /** Output features (rows of the unpacked weights). */
  readonly n: number;
  /** Weights kept: those that are not ±0. */
  readonly nonzeros: number;
}

/**
 * Arguments of `out[m, n] = act(a[m, k] · w[n, k]ᵀ + bias)` with packed sparse weights, row-major: the affine
 * map of a Linear layer whose weights are mostly zero.
 */
export interface SparseGemmArgs {
  /** Rows of A and of out (the batch). */
  m: number;
  a: Float32Array;
  aOffset: number;
  lda: number;
  w: PackedSparseMatrix;
  /** n values (from index 0) added to every row of out; absent or null adds nothing. */
  bias?: Float32Array | null;
  /** Applied to every output last; absent means 'none'. */
  activation?: FusedActivation;
  out: Float32Array;
  outOffset: number;
  ldo: number;
}

/**
 * A batch of activations in channels-last order, `[batch, plane, channels]` (NHWC with plane = H·W, or
 * `[batch, features]` with plane 1), for the quantize and dequantize kernels.
 */
export interface ChannelsLastShape {
  batch: number;
  channels: number;
  plane: number;
}

/** Kernels a compute backend provides. The `js` backend implements all of them and is the test oracle. */
export interface Backend {
  /** Short name used by `KILN_BACKEND` and `kiln env`. */
  readonly name: string;

  /** Dense GEMM. */
  gemm(args: GemmArgs): void;
  /** Packs op(B) (k×n) once for repeated {@link Backend.gemmPacked} calls. */
  packB(b: FloatArray, bOffset: number, ldb: number, transB: boolean, k: number, n: number): PackedMatrix;
  /** GEMM with a right-hand side packed by this backend's {@link Backend.packB}. */
  gemmPacked(args: PackedGemmArgs): void;

  /**
   * out[N, Cout, outH, outW] = act(conv(x[N, Cin, H, W], w) (+ bias[Cout] when given)). Overwrites out.
   * `activation` defaults to 'none'.
   */
  conv2d(
    g: Conv2dGeometry,
    x: FloatArray,
    w: FloatArray,
    bias: FloatArray | null,
    out: FloatArray,
    activation?: FusedActivation,
  ): void;
  /**
   * {@link Backend.conv2d} followed by {@link Backend.maxPool2d} without positions, for inference:
   * out = maxPool(act(conv(x, w) + bias)). A backend may pool each image's convolution while it is still in
   * cache instead of writing the whole convolution out. `pool` describes the pooling of the convolution's
   * output (its batch, channels and input size are the convolution's batch, outChannels and output size).
   */
  conv2dMaxPool(
    g: Conv2dGeometry,
    pool: Pool2dGeometry,
    x: FloatArray,
    w: FloatArray,
    bias: FloatArray | null,
    out: FloatArray,
    activation?: FusedActivation,
  ): void;
  /** dx[N, Cin, H, W] = ∂out/∂x ᵀ · dy. Overwrites dx. */
  conv2dBackwardInput(g: Conv2dGeometry, dy: FloatArray, w: FloatArray, dx: FloatArray): void;
  /** dw[Cout, Cin/groups, kH, kW] = ∂out/∂w ᵀ · dy. Overwrites dw. */
  conv2dBackwardWeight(g: Conv2dGeometry, x: FloatArray, dy: FloatArray, dw: FloatArray): void;

  /**
   * Max pooling. Writes the maximum of each window to `out` and, in `argmax`, the index of that element
   * within its input plane (h · inW + w); padding never wins. NaN propagates (it is the maximum). Callers
   * keep padding ≤ kernel / 2, so every window holds at least one input element. A null `argmax` (no
   * gradient will be taken) skips the positions.
   */
  maxPool2d(g: Pool2dGeometry, x: FloatArray, out: FloatArray, argmax: Int32Array | null): void;
  /** Routes each dy element to the input position recorded in argmax; overwrites dx. */
  maxPool2dBackward(g: Pool2dGeometry, dy: FloatArray, argmax: Int32Array, dx: FloatArray): void;
  /**
   * Average pooling. With `countIncludePad` (PyTorch's default) the divisor is the window clipped to the
   * padded input (end = min(start + kernel, in + pad)); without it, the number of real input elements.
   */
  avgPool2d(g: Pool2dGeometry, countIncludePad: boolean, x: FloatArray, out: FloatArray): void;
  /** Gradient of {@link Backend.avgPool2d}; overwrites dx. */
  avgPool2dBackward(g: Pool2dGeometry, countIncludePad: boolean, dy: FloatArray, dx: FloatArray): void;

  /** out[i] = op(x[i]) for a strided x over `shape`, written contiguously. */
  unary(op: UnaryOp, x: StridedView, shape: readonly number[], out: NumericArray, alpha?: number, beta?: number): void;
  /** out = cond ? a : b over `shape` (the broadcast shape), written contiguously; cond holds 0/1. */
  where(cond: StridedView, a: StridedView, b: StridedView, shape: readonly number[], out: NumericArray): void;
  /** Copies a strided source over `shape` into a strided destination (views to views, no allocation). */
  copy(src: StridedView, shape: readonly number[], dst: StridedView): void;
  /**
   * The gradient of ReLU in one pass: dx[i] = x[i] > 0 ? dy[i] : 0 for every i < dx.length (x and dy
   * contiguous, at least as long). NaN in x gives 0; NaN in dy passes where x > 0.
   */
  reluBackward(x: FloatArray, dy: FloatArray, dx: FloatArray): void;
  /** out = op(a, b) over `shape` (the broadcast shape), written contiguously. */
  binary(op: BinaryOp, a: StridedView, b: StridedView, shape: readonly number[], out: NumericArray): void;
  /**
   * Reduces a strided x of `shape` over the dimensions flagged in `reduced`, writing the kept dimensions
   * contiguously in order to out.
   */
  reduce(op: ReduceOp, x: StridedView, shape: readonly number[], reduced: readonly boolean[], out: NumericArray): void;

  /**
   * One Adam/AdamW step over a parameter in place, PyTorch 1.13's single-tensor update, in the parameter's
   * precision: p, m (first moment), v (second moment) and vMax (AMSGrad's running maximum, or null) are
   * updated over p.length elements from the gradient g. All arrays have the same type.
   */
  adamUpdate(step: AdamStep, p: FloatArray, g: FloatArray, m: FloatArray, v: FloatArray, vMax: FloatArray | null): void;

  /** Packs s8 weights `w[n, k]` (row-major) once for the integer kernels. */
  packInt8(w: Int8Array, n: number, k: number): PackedInt8Matrix;
  /** The integer product of {@link QGemmArgs}; results are identical on every backend. */
  qgemm(args: QGemmArgs): void;
  /**
   * Integer convolution in channels-last layout: x `[N, inH, inW, Cin]` u8 with zero point `xZeroPoint`
   * (which the padding takes), weights packed from `[Cout, kH, kW, Cin]` (k = kH·kW·Cin), out
   * `[N, outH, outW, Cout]` requantized. Only `groups = 1`.
   */
  qconv2d(g: Conv2dGeometry, x: Uint8Array, xZeroPoint: number, w: PackedInt8Matrix, requant: Requantization, out: Uint8Array | Float32Array): void;
  /**
   * {@link Backend.qconv2d} followed by unpadded max pooling, in one kernel: out `[N, pool.outH, pool.outW,
   * Cout]` equals, bit for bit, `qconv2d` into a temporary `[N, g.outH, g.outW, Cout]` then
   * {@link Backend.qmaxPool2d} with that kernel and stride and no padding. Pool windows lie inside the conv
   * output: `pool.outH = floor((g.outH − kernelH) / strideH) + 1` (0 when g.outH < kernelH), and so for W;
   * conv outputs no window covers need not be computed.
   *
   * A backend may fuse because the requantization never decreases as the accumulator grows when every
   * scale is positive and finite: the maximum of a window's requantized outputs is then the requantization
   * of its largest accumulator, so only the pooled outputs are requantized and written. Other scales give
   * the same result, by the two passes.
   */
  qconv2dMaxPool(
    g: Conv2dGeometry,
    pool: Pick<Pool2dGeometry, 'kernelH' | 'kernelW' | 'strideH' | 'strideW' | 'outH' | 'outW'>,
    x: Uint8Array,
    xZeroPoint: number,
    w: PackedInt8Matrix,
    requant: Requantization & { kind: 'uint8' },
    out: Uint8Array,
  ): void;
  /** Max pooling of channels-last u8 `[N, inH, inW, C]` into `[N, outH, outW, C]`; padding never wins. */
  qmaxPool2d(g: Pool2dGeometry, x: Uint8Array, out: Uint8Array): void;
  /**
   * Average pooling of channels-last u8 with the divisor rules of {@link Backend.avgPool2d}; padding counts
   * as `zeroPoint` (the quantized zero). `out = floor((2 · sum + count) / (2 · count))`: round half up.
   */
  qavgPool2d(g: Pool2dGeometry, countIncludePad: boolean, zeroPoint: number, x: Uint8Array, out: Uint8Array): void;
  /**
   * Quantizes float32 channels-first `[batch, channels, plane]` into channels-last u8:
   * `q = clamp(roundHalfEven(fround(x / scale)) + zeroPoint, 0, 255)`. NaN has no quantized value: callers
   * check for it.
   */
  quantize(shape: ChannelsLastShape, x: Float32Array, scale: number, zeroPoint: number, out: Uint8Array): void;
  /** The inverse layout: channels-last u8 to channels-first float32, `fround((q − zeroPoint) · scale)`. */
  dequantize(shape: ChannelsLastShape, x: Uint8Array, scale: number, zeroPoint: number, out: Float32Array): void;

  /** Packs float32 weights `w[n, k]` (row-major) once for {@link Backend.sparseGemm}, keeping their nonzeros. */
  packSparse(w: Float32Array, n: number, k: number): PackedSparseMatrix;
  /**
   * The product of {@link SparseGemmArgs}, whose cost follows the weights' nonzeros rather than n · k. Zero
   * weights are not stored, so they add nothing even where A holds ±∞ or NaN (where {@link Backend.gemm}
   * gives NaN); sums run in another order than gemm's, so results agree with it to float32 rounding.
   */
  sparseGemm(args: SparseGemmArgs): void;
}
