/**
 * The native backend's integer kernels: u8 × s8 GEMM (AVX512-VNNI vpdpbusd, or exact vpmaddwd products on
 * AVX-512 and AVX2, or portable C++) with the float32 requantization, channels-last convolution (alone or
 * fused with the max pooling after it), u8 pooling and quantize/dequantize, all equal to the js backend's
 * int8.ts bit for bit. Arguments go through the shared checks of int8-args.ts first, so errors read as they
 * do on the js backend.
 */
import type {
  Backend,
  ChannelsLastShape,
  Conv2dGeometry,
  PackedInt8Matrix,
  Pool2dGeometry,
  Requantization,
} from '../backend.js';
import { checkPackInt8, checkQConv2d, checkQConv2dMaxPool, checkQGemm, checkQPool2d, checkQuantize } from '../int8-args.js';
import type { NativeAddon } from './addon.js';

/** Weights packed by the native backend: one layout for every kernel family, so setIsa keeps them usable. */
export class NativePackedInt8 implements PackedInt8Matrix {
  readonly backend = 'native';
  constructor(
    readonly n: number,
    readonly k: number,
    /** The addon's panels (see NativeAddon.packInt8). */
    readonly data: Int8Array,
  ) {}
}

/** Controls of the native integer kernels that the Backend interface does not have. */
export interface NativeInt8Controls {
  /**
   * The integer kernels' family: 'avx512-vnni', 'avx512' (AVX-512 without VNNI), 'avx2' or 'scalar'. It
   * follows {@link NativeInt8Controls.setVnni} and the backend's kernel family.
   */
  readonly int8Isa: string;
  /**
   * Lets the avx512 family's integer kernels use AVX512-VNNI where the CPU has it (the default), or not:
   * false runs the fallback of AVX-512 CPUs without VNNI, to test or compare it.
   */
  setVnni(allowed: boolean): void;
}

/** The integer kernels of the Backend interface. */
export type Int8Kernels = Pick<
  Backend,
  'packInt8' | 'qgemm' | 'qconv2d' | 'qconv2dMaxPool' | 'qmaxPool2d' | 'qavgPool2d' | 'quantize' | 'dequantize'
>;

/** The weights' panels, after checking that this backend packed them. */
function panels(kernel: string, w: PackedInt8Matrix): Int8Array {
  if (!(w instanceof NativePackedInt8)) throw new RangeError(`${kernel}: the weights were not packed by the native backend's packInt8`);
  return w.data;
}

/** The requantization in the addon's order: bias, scale, offset, zeroPoint, min, max. */
function requantArgs(r: Requantization): [Int32Array, Float32Array, Float32Array | null, number, number, number] {
  return r.kind === 'uint8' ? [r.bias, r.scale, null, r.zeroPoint, r.min, r.max] : [r.bias, r.scale, r.offset, 0, 0, 0];
}

/** Geometry fields as the addon reads them (checked non-negative by the shared checks). */
function fields(kernel: string, values: number[]): Int32Array {
  for (const value of values) {
    if (value > 0x7fffffff) throw new RangeError(`${kernel}: a geometry field is ${value}, beyond what the native kernels address`);
  }
  return Int32Array.from(values);
}

/** The fields of the addon's ConvGeometry, in its order. */
function convFields(kernel: string, g: Conv2dGeometry): Int32Array {
  return fields(kernel, [
    g.batch, g.inChannels, g.inH, g.inW, g.outChannels, g.kernelH, g.kernelW, g.strideH, g.strideW,
    g.padTop, g.padLeft, g.dilationH, g.dilationW, g.groups, g.outH, g.outW,
  ]);
}

/** The fields of the addon's PoolGeometry, in its order. */
function poolFields(kernel: string, g: Pool2dGeometry): Int32Array {
  return fields(kernel, [
    g.batch, g.channels, g.inH, g.inW, g.kernelH, g.kernelW, g.strideH, g.strideW, g.padH, g.padW, g.outH, g.outW,
  ]);
}

/** The integer kernels over a loaded addon. */
export function nativeInt8(addon: NativeAddon): Int8Kernels {
  return {
    packInt8(w, n, k) {
      checkPackInt8(w, n, k);
      return new NativePackedInt8(n, k, addon.packInt8(w, n, k));
    },

    qgemm(args) {
      checkQGemm(args, 'native');
      const { w } = args;
      addon.qgemm(
        args.m, args.a, args.aOffset, args.lda,
        panels('qgemm', w), w.n, w.k,
        ...requantArgs(args.requant),
        args.out, args.outOffset, args.ldo,
      );
    },

    qconv2d(g, x, xZeroPoint, w, requant, out) {
      checkQConv2d(g, x, xZeroPoint, w, requant, out, 'native');
      addon.qconv2d(convFields('qconv2d', g), x, xZeroPoint, panels('qconv2d', w), ...requantArgs(requant), out);
    },

    qconv2dMaxPool(g, pool, x, xZeroPoint, w, requant, out) {
      checkQConv2dMaxPool(g, pool, x, xZeroPoint, w, requant, out, 'native');
      const window = fields('qconv2dMaxPool', [pool.kernelH, pool.kernelW, pool.strideH, pool.strideW, pool.outH, pool.outW]);
      const { bias, scale, zeroPoint, min, max } = requant;
      addon.qconv2dMaxPool(
        convFields('qconv2dMaxPool', g), window, x, xZeroPoint, panels('qconv2dMaxPool', w),
        bias, scale, null, zeroPoint, min, max, out,
      );
    },

    qmaxPool2d(g, x, out) {
      checkQPool2d('qmaxPool2d', g, x, out);
      addon.qmaxPool2d(poolFields('qmaxPool2d', g), x, out);
    },

    qavgPool2d(g, countIncludePad, zeroPoint, x, out) {
      checkQPool2d('qavgPool2d', g, x, out);
      if (!Number.isInteger(zeroPoint) || zeroPoint < 0 || zeroPoint > 255) throw new RangeError(`qavgPool2d: zeroPoint must be in [0, 255], got ${zeroPoint}`);
      addon.qavgPool2d(poolFields('qavgPool2d', g), countIncludePad, zeroPoint, x, out);
    },

    quantize(shape: ChannelsLastShape, x, scale, zeroPoint, out) {
      checkQuantize('quantize', shape, scale, zeroPoint, x.length, out.length);
      addon.quantize(shape.batch, shape.channels, shape.plane, x, scale, zeroPoint, out);
    },

    dequantize(shape, x, scale, zeroPoint, out) {
      checkQuantize('dequantize', shape, scale, zeroPoint, x.length, out.length);
      addon.dequantize(shape.batch, shape.channels, shape.plane, x, scale, zeroPoint, out);
    },
  };
}
