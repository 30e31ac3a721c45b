/**
 * Cases shared by the kernel tests of every backend: GEMM and sparse-product operands, and convolution and
 * pooling geometries described the way a person writes them (padding per side, ceil mode).
 */
import type { Conv2dGeometry, FusedActivation, GemmArgs, Pool2dGeometry } from '../../src/backend/backend.js';
import { randomArray, type FloatArrayConstructor } from './arrays.js';

export interface GemmCase {
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  alpha: number;
  beta: number;
}

/** Builds random operands with random offsets and leading dimensions larger than needed. */
export function makeGemmArgs(type: FloatArrayConstructor, c: GemmCase, rand: () => number): GemmArgs {
  const pad = (): number => Math.floor(rand() * 4);
  const [aRows, aCols] = c.transA ? [c.k, c.m] : [c.m, c.k];
  const [bRows, bCols] = c.transB ? [c.n, c.k] : [c.k, c.n];
  const aOffset = pad(), lda = aCols + pad();
  const bOffset = pad(), ldb = bCols + pad();
  const cOffset = pad(), ldc = c.n + pad();
  return {
    ...c,
    a: randomArray(type, aOffset + aRows * lda, rand),
    aOffset,
    lda,
    b: randomArray(type, bOffset + bRows * ldb, rand),
    bOffset,
    ldb,
    c: randomArray(type, cOffset + c.m * ldc + 2, rand),
    cOffset,
    ldc,
  };
}

export const GEMM_SIZES = [1, 3, 5, 7, 13, 17, 33, 65];
export const GEMM_SCALARS: [number, number][] = [
  [1, 0],
  [1, 1],
  [-0.75, 0.5],
  [2, -1.5],
];
export const GEMM_TRANS: [boolean, boolean][] = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
];

export interface ConvConfig {
  name: string;
  batch?: number;
  inChannels: number;
  outChannels: number;
  inH: number;
  inW: number;
  kernel: [number, number];
  stride?: [number, number];
  /** [top, bottom, left, right]; a negative bottom/right crops, as a caller-chosen outH/outW may. */
  pad?: [number, number, number, number];
  dilation?: [number, number];
  groups?: number;
  bias?: boolean;
}

export function convGeometry(c: ConvConfig): Conv2dGeometry {
  const [kernelH, kernelW] = c.kernel;
  const [strideH, strideW] = c.stride ?? [1, 1];
  const [padTop, padBottom, padLeft, padRight] = c.pad ?? [0, 0, 0, 0];
  const [dilationH, dilationW] = c.dilation ?? [1, 1];
  return {
    batch: c.batch ?? 1,
    inChannels: c.inChannels,
    inH: c.inH,
    inW: c.inW,
    outChannels: c.outChannels,
    kernelH,
    kernelW,
    strideH,
    strideW,
    padTop,
    padLeft,
    dilationH,
    dilationW,
    groups: c.groups ?? 1,
    outH: Math.floor((c.inH + padTop + padBottom - dilationH * (kernelH - 1) - 1) / strideH) + 1,
    outW: Math.floor((c.inW + padLeft + padRight - dilationW * (kernelW - 1) - 1) / strideW) + 1,
  };
}


export interface PoolConfig {
  name: string;
  batch?: number;
  channels?: number;
  inH: number;
  inW: number;
  kernel: [number, number];
  stride: [number, number];
  pad?: [number, number];
  /** Rounds the output size up, as PyTorch's ceil_mode does, so the last window may hang off the input. */
  ceil?: boolean;
}

export function poolGeometry(c: PoolConfig): Pool2dGeometry {
  const [kernelH, kernelW] = c.kernel;
  const [strideH, strideW] = c.stride;
  const [padH, padW] = c.pad ?? [0, 0];
  const outSize = (size: number, kernel: number, stride: number, pad: number): number => {
    const span = size + 2 * pad - kernel;
    if (c.ceil !== true) return Math.floor(span / stride) + 1;
    const out = Math.ceil(span / stride) + 1;
    // PyTorch drops a last window that would start inside the bottom/right padding.
    return (out - 1) * stride >= size + pad ? out - 1 : out;
  };
  return {
    batch: c.batch ?? 1,
    channels: c.channels ?? 1,
    inH: c.inH,
    inW: c.inW,
    kernelH,
    kernelW,
    strideH,
    strideW,
    padH,
    padW,
    outH: outSize(c.inH, kernelH, strideH, padH),
    outW: outSize(c.inW, kernelW, strideW, padW),
  };
}


/**
 * Weights `[n, k]` in [−1, 1) with about `sparsity` of them zero, and whole rows zero with probability
 * `emptyRows`, as magnitude pruning leaves them.
 */
export function sparseWeights(n: number, k: number, sparsity: number, rand: () => number, emptyRows = 0): Float32Array {
  const w = new Float32Array(n * k);
  for (let j = 0; j < n; j++) {
    if (rand() < emptyRows) continue;
    for (let p = 0; p < k; p++) if (rand() >= sparsity) w[j * k + p] = rand() * 2 - 1;
  }
  return w;
}

/** A sparse product's shape and options, as the sparse kernel tests run them. */
export interface SparseCase {
  m: number;
  n: number;
  k: number;
  sparsity: number;
  bias: boolean;
  activation: FusedActivation;
}

/** Operands of a sparse case: A with a random offset and padded rows, out likewise (its gaps random). */
export function makeSparseOperands(c: SparseCase, rand: () => number): {
  w: Float32Array; a: Float32Array; aOffset: number; lda: number; bias: Float32Array | null; out: Float32Array; outOffset: number; ldo: number;
} {
  const pad = (): number => Math.floor(rand() * 4);
  const aOffset = pad(), lda = c.k + pad(), outOffset = pad(), ldo = c.n + pad();
  return {
    w: sparseWeights(c.n, c.k, c.sparsity, rand, c.sparsity > 0 ? 0.1 : 0),
    a: randomArray(Float32Array, aOffset + c.m * lda, rand) as Float32Array,
    aOffset,
    lda,
    bias: c.bias ? (randomArray(Float32Array, c.n, rand) as Float32Array) : null,
    out: randomArray(Float32Array, outOffset + c.m * ldo + 2, rand) as Float32Array,
    outOffset,
    ldo,
  };
}
