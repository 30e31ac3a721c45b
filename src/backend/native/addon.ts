/**
 * The compiled addon (`build/Release/kiln_native.node`, built from `native/` by `npm install`) and the
 * functions it exports. Kernels take Float32Arrays and work on their memory in place.
 */
import { fileURLToPath } from 'node:url';
import type { FusedActivation } from '../backend.js';

/** What the addon reports about itself. */
export interface NativeInfo {
  /** Kernel family in use: 'avx512', 'avx2' or 'scalar'. */
  isa: string;
  /** Every family this CPU can run, portable first. */
  isas: string[];
  /** Threads a kernel may use, the calling thread included. */
  threads: number;
}

/** GEMM arguments in the addon's positional order (see GemmArgs); a missing bias is null. */
export type NativeGemmArgs = [
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  aOffset: number,
  lda: number,
  transA: boolean,
  b: Float32Array,
  bOffset: number,
  ldb: number,
  transB: boolean,
  c: Float32Array,
  cOffset: number,
  ldc: number,
  alpha: number,
  beta: number,
  bias: Float32Array | null,
  activation: FusedActivation,
];

/** Weights packed by the addon's packSparse: an opaque handle to memory the addon owns. */
export type NativeSparseMatrix = object & { readonly __nativeSparseMatrix: unique symbol };

/** The addon's exports. Geometries are Int32Arrays in the field order of validate.ts. */
export interface NativeAddon {
  info(): NativeInfo;
  setIsa(isa: string): void;
  setThreads(threads: number): void;
  gemm(...args: NativeGemmArgs): void;
  /** gemm on a libuv worker thread; the arrays must stay untouched until the promise settles. */
  gemmAsync(...args: NativeGemmArgs): Promise<void>;
  packB(b: Float32Array, bOffset: number, ldb: number, transB: boolean, k: number, n: number): {
    data: Float32Array;
    isa: string;
  };
  gemmPacked(
    m: number,
    a: Float32Array,
    aOffset: number,
    lda: number,
    transA: boolean,
    packed: Float32Array,
    isa: string,
    k: number,
    n: number,
    c: Float32Array,
    cOffset: number,
    ldc: number,
    alpha: number,
    beta: number,
    bias: Float32Array | null,
    activation: FusedActivation,
  ): void;
  conv2d(
    geometry: Int32Array,
    x: Float32Array,
    w: Float32Array,
    bias: Float32Array | null,
    out: Float32Array,
    activation: FusedActivation,
  ): void;
  conv2dMaxPool(
    geometry: Int32Array,
    poolGeometry: Int32Array,
    x: Float32Array,
    w: Float32Array,
    bias: Float32Array | null,
    out: Float32Array,
    activation: FusedActivation,
  ): void;
  conv2dBackwardInput(geometry: Int32Array, dy: Float32Array, w: Float32Array, dx: Float32Array): void;
  conv2dBackwardWeight(geometry: Int32Array, x: Float32Array, dy: Float32Array, dw: Float32Array): void;
  maxPool2d(geometry: Int32Array, x: Float32Array, out: Float32Array, argmax: Int32Array | null): void;
  maxPool2dBackward(geometry: Int32Array, dy: Float32Array, argmax: Int32Array, dx: Float32Array): void;
  avgPool2d(geometry: Int32Array, countIncludePad: boolean, x: Float32Array, out: Float32Array): void;
  avgPool2dBackward(geometry: Int32Array, countIncludePad: boolean, dy: Float32Array, dx: Float32Array): void;
  /** Each operand is (array, offset, outerStride, innerStride) over an outer × inner grid; inner strides are 0 or 1. */
  unary(op: 'relu', x: Float32Array, xOffset: number, xOuter: number, xInner: number, out: Float32Array, outer: number, inner: number): void;
  binary(
    op: string,
    a: Float32Array, aOffset: number, aOuter: number, aInner: number,
    b: Float32Array, bOffset: number, bOuter: number, bInner: number,
    out: Float32Array | Uint8Array,
    outer: number,
    inner: number,
  ): void;
  where(
    cond: Uint8Array, cOffset: number, cOuter: number, cInner: number,
    a: Float32Array, aOffset: number, aOuter: number, aInner: number,
    b: Float32Array, bOffset: number, bOuter: number, bInner: number,
    out: Float32Array,
    outer: number,
    inner: number,
  ): void;
  /** Strided copy; `layout` holds the shape, then src's strides, then dst's (all non-negative). */
  copy(src: Float32Array, srcOffset: number, dst: Float32Array, dstOffset: number, layout: Float64Array): void;
  /** dx[i] = x[i] > 0 ? dy[i] : 0 over dx's length. */
  reluBackward(x: Float32Array, dy: Float32Array, dx: Float32Array): void;
  /** Sum over the flagged dimensions; `layout` holds the shape, then x's strides. */
  sum(x: Float32Array, xOffset: number, layout: Float64Array, reduced: Uint8Array, out: Float32Array): void;
  /**
   * Backend.adamUpdate over p's length; `hyperparameters` holds lr, beta1, beta2, eps, weightDecay, stepSize,
   * biasCorrection2Sqrt and decoupled (1 or 0).
   */
  adamUpdate(
    hyperparameters: Float64Array,
    p: Float32Array,
    g: Float32Array,
    m: Float32Array,
    v: Float32Array,
    vMax: Float32Array | null,
  ): void;
  /**
   * Packs s8 weights `w[n, k]` (row-major) for the integer kernels, in one layout for every kernel family:
   * 16-channel panels of 4 consecutive k per channel, k padded to a multiple of 4.
   */
  packInt8(w: Int8Array, n: number, k: number): Int8Array;
  /**
   * Backend.qgemm with weights from packInt8. The output's type picks the requantization: a Uint8Array
   * takes the uint8 kind (zeroPoint, min, max), a Float32Array the float32 kind (offset, or null).
   */
  qgemm(
    m: number,
    a: Uint8Array,
    aOffset: number,
    lda: number,
    packed: Int8Array,
    n: number,
    k: number,
    bias: Int32Array,
    scale: Float32Array,
    offset: Float32Array | null,
    zeroPoint: number,
    min: number,
    max: number,
    out: Uint8Array | Float32Array,
    outOffset: number,
    ldo: number,
  ): void;
  /**
   * Backend.qconv2d, the requantization as in qgemm; the weights pack k = kernelH · kernelW · inChannels
   * for n = outChannels.
   */
  qconv2d(
    geometry: Int32Array,
    x: Uint8Array,
    xZeroPoint: number,
    packed: Int8Array,
    bias: Int32Array,
    scale: Float32Array,
    offset: Float32Array | null,
    zeroPoint: number,
    min: number,
    max: number,
    out: Uint8Array | Float32Array,
  ): void;
  /**
   * Backend.qconv2dMaxPool: `pool` holds kernelH, kernelW, strideH, strideW, outH and outW; the
   * requantization is qconv2d's with a null offset and a Uint8Array out.
   */
  qconv2dMaxPool(
    geometry: Int32Array,
    pool: Int32Array,
    x: Uint8Array,
    xZeroPoint: number,
    packed: Int8Array,
    bias: Int32Array,
    scale: Float32Array,
    offset: null,
    zeroPoint: number,
    min: number,
    max: number,
    out: Uint8Array,
  ): void;
  qmaxPool2d(geometry: Int32Array, x: Uint8Array, out: Uint8Array): void;
  qavgPool2d(geometry: Int32Array, countIncludePad: boolean, zeroPoint: number, x: Uint8Array, out: Uint8Array): void;
  quantize(batch: number, channels: number, plane: number, x: Float32Array, scale: number, zeroPoint: number, out: Uint8Array): void;
  dequantize(batch: number, channels: number, plane: number, x: Uint8Array, scale: number, zeroPoint: number, out: Float32Array): void;
  /**
   * The integer kernels' family: 'avx512-vnni', 'avx512' (AVX-512 without VNNI: vpmaddwd), 'avx2' or
   * 'scalar'. It follows setIsa and setVnni.
   */
  int8Isa(): string;
  /**
   * Whether the avx512 family's integer kernels may use AVX512-VNNI where the CPU has it (the default);
   * false runs them on the vpmaddwd fallback that AVX-512 CPUs without VNNI use, to test or compare it.
   */
  setVnni(allowed: boolean): void;
  /**
   * Packs float32 weights `w[n, k]` (row-major, n · k < 2³¹) into compressed sparse rows, keeping every value
   * that is not ±0, in memory the addon owns and frees with the handle.
   */
  packSparse(w: Float32Array, n: number, k: number): { matrix: NativeSparseMatrix; nonzeros: number };
  /** Backend.sparseGemm with weights from packSparse; a missing bias is null. */
  sparseGemm(
    m: number,
    a: Float32Array,
    aOffset: number,
    lda: number,
    matrix: NativeSparseMatrix,
    bias: Float32Array | null,
    activation: FusedActivation,
    out: Float32Array,
    outOffset: number,
    ldo: number,
  ): void;
}

/**
 * Where `npm install` puts the addon: `build/Release` at the package root, which is three levels up from
 * both `src/backend/native/` and `dist/backend/native/`.
 */
export function defaultAddonPath(): string {
  return fileURLToPath(new URL('../../../build/Release/kiln_native.node', import.meta.url));
}

/**
 * Loads the addon at `path` with `process.dlopen`, which accepts only native addons (a stray JavaScript or
 * JSON file there is an error, not a module without kernels); throws what the dynamic loader reports.
 */
export function loadAddon(path: string): NativeAddon {
  const module = { exports: {} };
  process.dlopen(module, path);
  return module.exports as NativeAddon;
}
