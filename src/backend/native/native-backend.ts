/**
 * The `native` backend: GEMM, convolution, pooling, the hot elementwise kernels and the Adam update in our
 * C++ addon for float32 data, the integer kernels (int8.ts) and the sparse-weight ones (sparse.ts), on the
 * memory of the typed arrays themselves (no copies). Float64 data, mixed precisions, converting copies and
 * the remaining elementwise and reduction kernels run on the js backend's implementations, which remain
 * Kiln's float64 path.
 */
import { BackendError } from '../../errors.js';
import type {
  Backend,
  Conv2dGeometry,
  FloatArray,
  GemmArgs,
  PackedGemmArgs,
  PackedMatrix,
  Pool2dGeometry,
} from '../backend.js';
import { adamUpdate as jsAdamUpdate } from '../js/adam.js';
import * as js from '../js/conv2d.js';
import { checkPoolOfConvolution } from '../js/conv2d.js';
import { gemm as jsGemm, gemmPacked as jsGemmPacked, packB as jsPackB } from '../js/gemm.js';
import * as jsPool from '../js/pool2d.js';
import type { NativeAddon, NativeGemmArgs } from './addon.js';
import { nativeElementwise } from './elementwise.js';
import { nativeInt8, type NativeInt8Controls } from './int8.js';
import { nativeSparse } from './sparse.js';
import { checkDim, checkGemm, checkOperand, convGeometry, poolGeometry } from './validate.js';

/**
 * op(B) packed by the native backend: micro-kernel panels of the `isa` kernel for float32 data, or the
 * js backend's packing for float64 data.
 */
export class NativePackedMatrix implements PackedMatrix {
  readonly backend = 'native';
  readonly k: number;
  readonly n: number;
  /** Panels for the `isa` micro-kernel (float32 B), else null. */
  readonly panels: Float32Array | null;
  readonly isa: string;
  /** The js packing of a float64 B, else null. */
  readonly fallback: PackedMatrix | null;

  constructor(k: number, n: number, panels: Float32Array | null, isa: string, fallback: PackedMatrix | null) {
    this.k = k;
    this.n = n;
    this.panels = panels;
    this.isa = isa;
    this.fallback = fallback;
  }
}

/** The native backend, with controls the Backend interface does not have. */
export interface NativeBackend extends Backend, NativeInt8Controls {
  /** Kernel family in use: 'avx512', 'avx2' or 'scalar'. */
  readonly isa: string;
  /** Every kernel family this CPU can run, portable first. */
  readonly isas: readonly string[];
  /** Threads a kernel may use, the calling thread included. */
  readonly threads: number;
  /** Switches the kernel family (to compare them, or to test the portable path on a fast CPU). */
  setIsa(isa: string): void;
  /** Resizes the thread pool; 1 runs every kernel on the calling thread. */
  setThreads(threads: number): void;
  /**
   * {@link Backend.gemm} off the main thread, so a server's event loop stays free: float32 products run on a
   * libuv worker and the promise settles when C is written. The arrays must not be written (or transferred)
   * until then. Other precisions run synchronously on the js backend.
   */
  gemmAsync(args: GemmArgs): Promise<void>;
}

function f32(a: FloatArray): a is Float32Array {
  return a instanceof Float32Array;
}

/** GEMM arguments whose operands are all float32: the ones the addon computes. */
type Float32GemmArgs = GemmArgs & { a: Float32Array; b: Float32Array; c: Float32Array; bias?: Float32Array | null };

function isFloat32Gemm(args: GemmArgs): args is Float32GemmArgs {
  return f32(args.a) && f32(args.b) && f32(args.c) && (args.bias === undefined || args.bias === null || f32(args.bias));
}

/** Throws unless a bias, when given, holds the n values a GEMM adds to each row. */
function checkBias(bias: FloatArray | null | undefined, n: number): void {
  if (bias !== undefined && bias !== null && bias.length < n) throw new RangeError(`gemm: bias has ${bias.length} elements, needs ${n}`);
}

/** Validates GEMM arguments as the js backend does and orders them for the addon. */
function nativeGemmArgs(args: Float32GemmArgs): NativeGemmArgs {
  const { m, n, k } = args;
  checkGemm(args, m, n, k);
  checkOperand('B', args.b, args.bOffset, args.ldb, args.transB ? n : k, args.transB ? k : n);
  checkBias(args.bias, n);
  return [
    m, n, k,
    args.a, args.aOffset, args.lda, args.transA,
    args.b, args.bOffset, args.ldb, args.transB,
    args.c, args.cOffset, args.ldc,
    args.alpha, args.beta,
    args.bias ?? null, args.activation ?? 'none',
  ];
}

/** Builds the backend over a loaded addon. */
export function createNativeBackend(addon: NativeAddon): NativeBackend {
  // Adam's hyperparameters travel in one reused array rather than eight arguments.
  const adamHyperparameters = new Float64Array(8);
  return {
    name: 'native',

    get isa() {
      return addon.info().isa;
    },
    get isas() {
      return addon.info().isas;
    },
    get threads() {
      return addon.info().threads;
    },
    setIsa(isa) {
      addon.setIsa(isa);
    },
    setThreads(threads) {
      addon.setThreads(threads);
    },

    gemm(args) {
      if (!isFloat32Gemm(args)) return jsGemm(args);
      addon.gemm(...nativeGemmArgs(args));
    },

    gemmAsync(args) {
      if (!isFloat32Gemm(args)) {
        try {
          jsGemm(args);
          return Promise.resolve();
        } catch (error) {
          return Promise.reject(error as Error);
        }
      }
      try {
        return addon.gemmAsync(...nativeGemmArgs(args));
      } catch (error) {
        return Promise.reject(error as Error);
      }
    },

    packB(b, bOffset, ldb, transB, k, n) {
      if (!(b instanceof Float32Array)) return new NativePackedMatrix(k, n, null, '', jsPackB(b, bOffset, ldb, transB, k, n));
      checkDim('k', k);
      checkDim('n', n);
      checkOperand('B', b, bOffset, ldb, transB ? n : k, transB ? k : n);
      const { data, isa } = addon.packB(b, bOffset, ldb, transB, k, n);
      return new NativePackedMatrix(k, n, data, isa, null);
    },

    gemmPacked(args: PackedGemmArgs) {
      const packed = args.b;
      if (!(packed instanceof NativePackedMatrix)) {
        throw new BackendError(
          `gemmPacked: the native backend cannot use a matrix packed by the '${packed.backend}' backend; pack it with this backend's packB`,
        );
      }
      if (packed.fallback !== null) return jsGemmPacked({ ...args, b: packed.fallback });
      const { m, a, c } = args;
      const bias = args.bias ?? null;
      if (!(f32(a) && f32(c) && (bias === null || f32(bias)))) {
        throw new BackendError(
          `gemmPacked: B was packed from float32 data, so A, C and the bias must be Float32Arrays too, got ${a.constructor.name} A and ${c.constructor.name} C; pack a Float64Array B for a float64 product`,
        );
      }
      checkGemm(args, m, packed.n, packed.k);
      checkBias(bias, packed.n);
      addon.gemmPacked(
        m, a, args.aOffset, args.lda, args.transA,
        packed.panels!, packed.isa, packed.k, packed.n,
        c, args.cOffset, args.ldc, args.alpha, args.beta,
        bias, args.activation ?? 'none',
      );
    },

    conv2d(g: Conv2dGeometry, x, w, bias, out, activation = 'none') {
      if (!(f32(x) && f32(w) && f32(out)) || (bias !== null && !(bias instanceof Float32Array))) {
        return js.conv2d(g, x, w, bias, out, activation);
      }
      const geometry = convGeometry(g, { x: x.length, w: w.length, out: out.length });
      if (bias !== null && bias.length < g.outChannels) {
        throw new RangeError(`conv2d: bias has ${bias.length} elements, needs ${g.outChannels}`);
      }
      addon.conv2d(geometry, x, w, bias, out, activation);
    },

    conv2dMaxPool(g, pool, x, w, bias, out, activation = 'none') {
      if (!(f32(x) && f32(w) && f32(out)) || (bias !== null && !(bias instanceof Float32Array))) {
        return js.conv2dMaxPool(g, pool, x, w, bias, out, activation);
      }
      checkPoolOfConvolution(g, pool);
      // The convolution's own output is never written out: only the pooled one is checked.
      const geometry = convGeometry(g, { x: x.length, w: w.length, out: null });
      if (bias !== null && bias.length < g.outChannels) {
        throw new RangeError(`conv2d: bias has ${bias.length} elements, needs ${g.outChannels}`);
      }
      addon.conv2dMaxPool(geometry, poolGeometry('conv2dMaxPool', pool, { out: out.length }), x, w, bias, out, activation);
    },

    conv2dBackwardInput(g, dy, w, dx) {
      if (!(f32(dy) && f32(w) && f32(dx))) return js.conv2dBackwardInput(g, dy, w, dx);
      addon.conv2dBackwardInput(convGeometry(g, { x: dx.length, w: w.length, out: dy.length }), dy, w, dx);
    },

    conv2dBackwardWeight(g, x, dy, dw) {
      if (!(f32(x) && f32(dy) && f32(dw))) return js.conv2dBackwardWeight(g, x, dy, dw);
      addon.conv2dBackwardWeight(convGeometry(g, { x: x.length, w: dw.length, out: dy.length }), x, dy, dw);
    },

    maxPool2d(g: Pool2dGeometry, x, out, argmax) {
      if (!(f32(x) && f32(out))) return jsPool.maxPool2d(g, x, out, argmax);
      const lengths = { x: x.length, out: out.length, ...(argmax === null ? {} : { argmax: argmax.length }) };
      addon.maxPool2d(poolGeometry('maxPool2d', g, lengths), x, out, argmax);
    },

    maxPool2dBackward(g, dy, argmax, dx) {
      if (!(f32(dy) && f32(dx))) return jsPool.maxPool2dBackward(g, dy, argmax, dx);
      const geometry = poolGeometry('maxPool2dBackward', g, { dx: dx.length, dy: dy.length, argmax: argmax.length });
      addon.maxPool2dBackward(geometry, dy, argmax, dx);
    },

    avgPool2d(g, countIncludePad, x, out) {
      if (!(f32(x) && f32(out))) return jsPool.avgPool2d(g, countIncludePad, x, out);
      addon.avgPool2d(poolGeometry('avgPool2d', g, { x: x.length, out: out.length }), countIncludePad, x, out);
    },

    avgPool2dBackward(g, countIncludePad, dy, dx) {
      if (!(f32(dy) && f32(dx))) return jsPool.avgPool2dBackward(g, countIncludePad, dy, dx);
      const geometry = poolGeometry('avgPool2dBackward', g, { dx: dx.length, dy: dy.length });
      addon.avgPool2dBackward(geometry, countIncludePad, dy, dx);
    },

    ...nativeElementwise(addon),

    adamUpdate(step, p, g, m, v, vMax) {
      if (!(f32(p) && f32(g) && f32(m) && f32(v)) || (vMax !== null && !f32(vMax))) {
        return jsAdamUpdate(step, p, g, m, v, vMax);
      }
      const { lr, beta1, beta2, eps, weightDecay, stepSize, biasCorrection2Sqrt, decoupled } = step;
      adamHyperparameters.set([lr, beta1, beta2, eps, weightDecay, stepSize, biasCorrection2Sqrt, decoupled ? 1 : 0]);
      addon.adamUpdate(adamHyperparameters, p, g, m, v, vMax);
    },

    get int8Isa() {
      return addon.int8Isa();
    },
    setVnni(allowed) {
      addon.setVnni(allowed);
    },
    ...nativeInt8(addon),
    ...nativeSparse(addon),
  };
}
