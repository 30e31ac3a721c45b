/**
 * Weight initialization, in place and seeded. Fan computations and gains follow PyTorch's `nn.init`, so a
 * model initialized here has the same distributions as its PyTorch twin.
 */
import { ArgumentError } from '../errors.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';

/** Nonlinearities the gain of an initializer can account for. */
export type Nonlinearity = 'linear' | 'conv2d' | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';

/** Which fan the variance is scaled by: fanIn preserves forward activations, fanOut backward gradients. */
export type FanMode = 'fanIn' | 'fanOut';

/** Options shared by the random initializers. */
export interface InitOptions {
  generator?: Generator;
}

/** Options of the Kaiming (He) initializers. */
export interface KaimingOptions extends InitOptions {
  /** Negative slope of the leaky ReLU that follows (used when nonlinearity is 'leaky_relu'). */
  a?: number;
  mode?: FanMode;
  nonlinearity?: Nonlinearity;
}

/** Options of the Xavier (Glorot) initializers. */
export interface XavierOptions extends InitOptions {
  gain?: number;
}

/** fanIn and fanOut of a weight: [out, in] for linear, [out, in/groups, kh, kw] for convolutions. */
export function computeFans(t: Tensor): { fanIn: number; fanOut: number } {
  if (t.ndim < 2) throw new ArgumentError(`init: fan in and fan out need a tensor with at least 2 dimensions, got shape [${t.shape.join(',')}]`);
  const receptiveField = t.shape.slice(2).reduce((n, d) => n * d, 1);
  return { fanIn: t.shape[1]! * receptiveField, fanOut: t.shape[0]! * receptiveField };
}

/** The recommended gain for a nonlinearity (PyTorch's `calculate_gain`). */
export function calculateGain(nonlinearity: Nonlinearity, negativeSlope = 0.01): number {
  switch (nonlinearity) {
    case 'linear':
    case 'conv2d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu':
      return Math.sqrt(2 / (1 + negativeSlope * negativeSlope));
    case 'selu':
      return 3 / 4;
  }
}

/** Fills t with U(low, high). */
export function uniform_(t: Tensor, low: number, high: number, options: InitOptions = {}): Tensor {
  (options.generator ?? defaultGenerator).fillUniform(storageOf(t), low, high);
  return t;
}

/** Fills t with N(mean, std²). */
export function normal_(t: Tensor, mean: number, std: number, options: InitOptions = {}): Tensor {
  (options.generator ?? defaultGenerator).fillNormal(storageOf(t), mean, std);
  return t;
}

/** Fills t with a constant. */
export function constant_(t: Tensor, value: number): Tensor {
  storageOf(t).fill(value);
  return t;
}

/** Fills t with zeros. */
export function zeros_(t: Tensor): Tensor {
  return constant_(t, 0);
}

function kaimingStd(t: Tensor, options: KaimingOptions): number {
  const fans = computeFans(t);
  const fan = (options.mode ?? 'fanIn') === 'fanIn' ? fans.fanIn : fans.fanOut;
  const a = options.a ?? 0;
  return calculateGain(options.nonlinearity ?? 'leaky_relu', a) / Math.sqrt(fan);
}

/** He et al. (2015) uniform: U(−b, b) with b = gain · √(3 / fan). */
export function kaimingUniform_(t: Tensor, options: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd(t, options);
  return uniform_(t, -bound, bound, options);
}

/** He et al. (2015) normal: N(0, (gain / √fan)²). */
export function kaimingNormal_(t: Tensor, options: KaimingOptions = {}): Tensor {
  return normal_(t, 0, kaimingStd(t, options), options);
}

/** Glorot & Bengio (2010) uniform: U(−b, b) with b = gain · √(6 / (fanIn + fanOut)). */
export function xavierUniform_(t: Tensor, options: XavierOptions = {}): Tensor {
  const { fanIn, fanOut } = computeFans(t);
  const bound = (options.gain ?? 1) * Math.sqrt(6 / (fanIn + fanOut));
  return uniform_(t, -bound, bound, options);
}

/** Glorot & Bengio (2010) normal: N(0, gain² · 2 / (fanIn + fanOut)). */
export function xavierNormal_(t: Tensor, options: XavierOptions = {}): Tensor {
  const { fanIn, fanOut } = computeFans(t);
  return normal_(t, 0, (options.gain ?? 1) * Math.sqrt(2 / (fanIn + fanOut)), options);
}

/** LeCun uniform: U(−b, b) with b = √(3 / fanIn). */
export function lecunUniform_(t: Tensor, options: InitOptions = {}): Tensor {
  const bound = Math.sqrt(3 / computeFans(t).fanIn);
  return uniform_(t, -bound, bound, options);
}

/** LeCun normal: N(0, 1 / fanIn). */
export function lecunNormal_(t: Tensor, options: InitOptions = {}): Tensor {
  return normal_(t, 0, Math.sqrt(1 / computeFans(t).fanIn), options);
}

/**
 * A (semi-)orthogonal matrix (Saxe et al. 2013), scaled by gain: the weight flattened to [rows, cols]
 * gets orthonormal rows or columns, from Gram–Schmidt on a normal sample (with the sign fix that makes the
 * result uniformly distributed, as PyTorch does with QR).
 */
export function orthogonal_(t: Tensor, options: XavierOptions = {}): Tensor {
  if (t.ndim < 2) throw new ArgumentError(`orthogonal_: needs at least 2 dimensions, got shape [${t.shape.join(',')}]`);
  const rows = t.shape[0]!;
  const cols = t.size / rows;
  // Orthonormalize the longer side's vectors: work on [n, m] with n ≤ m, transposing back when needed.
  const n = Math.min(rows, cols);
  const m = Math.max(rows, cols);
  const q = new Float64Array(n * m);
  (options.generator ?? defaultGenerator).fillNormal(q);
  for (let i = 0; i < n; i++) {
    for (let pass = 0; pass < 2; pass++) {
      // Two passes of modified Gram–Schmidt keep the vectors orthogonal to rounding error.
      for (let j = 0; j < i; j++) {
        let dot = 0;
        for (let c = 0; c < m; c++) dot += q[i * m + c]! * q[j * m + c]!;
        for (let c = 0; c < m; c++) q[i * m + c]! -= dot * q[j * m + c]!;
      }
    }
    let norm = 0;
    for (let c = 0; c < m; c++) norm += q[i * m + c]! ** 2;
    norm = Math.sqrt(norm);
    for (let c = 0; c < m; c++) q[i * m + c]! /= norm;
  }
  const gain = options.gain ?? 1;
  const out = storageOf(t);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      out[r * cols + c] = gain * (rows <= cols ? q[r * m + c]! : q[c * m + r]!);
    }
  }
  return t;
}

function storageOf(t: Tensor) {
  if (!t.isContiguous() || t.offset !== 0 || t.data.length !== t.size) {
    throw new ArgumentError('init: can only fill a tensor that owns contiguous storage (a Parameter)');
  }
  return t.data;
}
