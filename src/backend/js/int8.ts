/**
 * Reference integer kernels for the `js` backend: u8 × s8 products accumulated exactly in int32, and
 * requantization in float32 with round-half-to-even, the oracle every faster backend must match bit for
 * bit (see {@link Requantization}).
 */
import type {
  Backend,
  ChannelsLastShape,
  Conv2dGeometry,
  PackedInt8Matrix,
  Pool2dGeometry,
  QGemmArgs,
  Requantization,
} from '../backend.js';
import { checkPackInt8, checkQConv2d, checkQConv2dMaxPool, checkQGemm, checkQPool2d, checkQuantize } from '../int8-args.js';
import { windowRange } from './pool2d.js';

/** The js backend's packing: a copy of the row-major weights. */
class JsPackedInt8 implements PackedInt8Matrix {
  readonly backend = 'js';
  constructor(
    readonly n: number,
    readonly k: number,
    readonly data: Int8Array,
  ) {}
}

/** Rounds to the nearest integer, ties to even (the rounding of the SIMD float → int conversions). */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  // Math.round sends ties up; a tie that landed on an odd number belongs one lower.
  return r - v === 0.5 && (r & 1) !== 0 ? r - 1 : r;
}

export function packInt8(w: Int8Array, n: number, k: number): PackedInt8Matrix {
  checkPackInt8(w, n, k);
  return new JsPackedInt8(n, k, w.slice(0, n * k));
}

/** Writes output channel j of one row: the requantization of `acc`. */
function store(r: Requantization, out: Uint8Array | Float32Array, index: number, j: number, acc: number): void {
  const v = Math.fround(Math.fround(acc + r.bias[j]!) * r.scale[j]!);
  if (r.kind === 'uint8') {
    const q = roundHalfEven(v) + r.zeroPoint;
    out[index] = q < r.min ? r.min : q > r.max ? r.max : q;
  } else {
    out[index] = r.offset === null ? v : v + r.offset[j]!;
  }
}

/** Rows of u8 activations times packed weights, requantized: the core of qgemm and qconv2d. */
function productRows(
  rows: number,
  a: Uint8Array,
  aOffset: number,
  lda: number,
  w: JsPackedInt8,
  r: Requantization,
  out: Uint8Array | Float32Array,
  outOffset: number,
  ldo: number,
): void {
  const { n, k, data } = w;
  for (let i = 0; i < rows; i++) {
    const aRow = aOffset + i * lda;
    for (let j = 0; j < n; j++) {
      const wRow = j * k;
      let acc = 0;
      for (let p = 0; p < k; p++) acc += a[aRow + p]! * data[wRow + p]!;
      store(r, out, outOffset + i * ldo + j, j, acc);
    }
  }
}

export function qgemm(args: QGemmArgs): void {
  checkQGemm(args, 'js');
  productRows(args.m, args.a, args.aOffset, args.lda, args.w as JsPackedInt8, args.requant, args.out, args.outOffset, args.ldo);
}

export function qconv2d(g: Conv2dGeometry, x: Uint8Array, xZeroPoint: number, w: PackedInt8Matrix, r: Requantization, out: Uint8Array | Float32Array): void {
  checkQConv2d(g, x, xZeroPoint, w, r, out, 'js');
  const { inH, inW, inChannels: cin, outH, outW, kernelH, kernelW } = g;
  const rowLength = kernelH * kernelW * cin;
  // One output row of patches at a time: [outW, kH·kW·Cin], padding filled with the zero point.
  const patches = new Uint8Array(outW * rowLength);
  for (let image = 0; image < g.batch; image++) {
    const xImage = image * inH * inW * cin;
    for (let oh = 0; oh < outH; oh++) {
      let p = 0;
      for (let ow = 0; ow < outW; ow++) {
        for (let kh = 0; kh < kernelH; kh++) {
          const h = oh * g.strideH - g.padTop + kh * g.dilationH;
          for (let kw = 0; kw < kernelW; kw++) {
            const col = ow * g.strideW - g.padLeft + kw * g.dilationW;
            if (h < 0 || h >= inH || col < 0 || col >= inW) {
              patches.fill(xZeroPoint, p, p + cin);
            } else {
              const from = xImage + (h * inW + col) * cin;
              patches.set(x.subarray(from, from + cin), p);
            }
            p += cin;
          }
        }
      }
      const outRow = ((image * outH + oh) * outW) * g.outChannels;
      productRows(outW, patches, 0, rowLength, w as JsPackedInt8, r, out, outRow, g.outChannels);
    }
  }
}

/** The oracle of {@link Backend.qconv2dMaxPool}: literally qconv2d into a temporary, then qmaxPool2d. */
export function qconv2dMaxPool(
  g: Conv2dGeometry,
  pool: Parameters<Backend['qconv2dMaxPool']>[1],
  x: Uint8Array,
  xZeroPoint: number,
  w: PackedInt8Matrix,
  r: Requantization & { kind: 'uint8' },
  out: Uint8Array,
): void {
  checkQConv2dMaxPool(g, pool, x, xZeroPoint, w, r, out, 'js');
  const conv = new Uint8Array(g.batch * g.outH * g.outW * g.outChannels);
  qconv2d(g, x, xZeroPoint, w, r, conv);
  const { kernelH, kernelW, strideH, strideW, outH, outW } = pool;
  qmaxPool2d({ batch: g.batch, channels: g.outChannels, inH: g.outH, inW: g.outW, kernelH, kernelW, strideH, strideW, padH: 0, padW: 0, outH, outW }, conv, out);
}

export function qmaxPool2d(g: Pool2dGeometry, x: Uint8Array, out: Uint8Array): void {
  checkQPool2d('qmaxPool2d', g, x, out);
  const { channels: c, inH, inW, outH, outW } = g;
  let o = 0;
  for (let image = 0; image < g.batch; image++) {
    const xImage = image * inH * inW * c;
    for (let oh = 0; oh < outH; oh++) {
      const [hStart, hEnd] = windowRange(oh, g.strideH, g.padH, g.kernelH, inH);
      for (let ow = 0; ow < outW; ow++) {
        const [wStart, wEnd] = windowRange(ow, g.strideW, g.padW, g.kernelW, inW);
        for (let ch = 0; ch < c; ch++) {
          let best = 0;
          for (let h = hStart; h < hEnd; h++) {
            for (let col = wStart; col < wEnd; col++) best = Math.max(best, x[xImage + (h * inW + col) * c + ch]!);
          }
          out[o++] = best;
        }
      }
    }
  }
}

export function qavgPool2d(g: Pool2dGeometry, countIncludePad: boolean, zeroPoint: number, x: Uint8Array, out: Uint8Array): void {
  checkQPool2d('qavgPool2d', g, x, out);
  if (!Number.isInteger(zeroPoint) || zeroPoint < 0 || zeroPoint > 255) throw new RangeError(`qavgPool2d: zeroPoint must be in [0, 255], got ${zeroPoint}`);
  const { channels: c, inH, inW, outH, outW } = g;
  let o = 0;
  for (let image = 0; image < g.batch; image++) {
    const xImage = image * inH * inW * c;
    for (let oh = 0; oh < outH; oh++) {
      const [hStart, hEnd, hPadded] = windowRange(oh, g.strideH, g.padH, g.kernelH, inH);
      for (let ow = 0; ow < outW; ow++) {
        const [wStart, wEnd, wPadded] = windowRange(ow, g.strideW, g.padW, g.kernelW, inW);
        const real = (hEnd - hStart) * (wEnd - wStart);
        const count = countIncludePad ? hPadded * wPadded : real;
        for (let ch = 0; ch < c; ch++) {
          let sum = countIncludePad ? (count - real) * zeroPoint : 0;
          for (let h = hStart; h < hEnd; h++) {
            for (let col = wStart; col < wEnd; col++) sum += x[xImage + (h * inW + col) * c + ch]!;
          }
          out[o++] = Math.floor((2 * sum + count) / (2 * count));
        }
      }
    }
  }
}

export function quantize(shape: ChannelsLastShape, x: Float32Array, scale: number, zeroPoint: number, out: Uint8Array): void {
  checkQuantize('quantize', shape, scale, zeroPoint, x.length, out.length);
  const s = Math.fround(scale);
  const { channels, plane } = shape;
  for (let image = 0; image < shape.batch; image++) {
    const base = image * channels * plane;
    for (let ch = 0; ch < channels; ch++) {
      for (let i = 0; i < plane; i++) {
        const q = roundHalfEven(Math.fround(x[base + ch * plane + i]! / s)) + zeroPoint;
        out[base + i * channels + ch] = q < 0 ? 0 : q > 255 ? 255 : q;
      }
    }
  }
}

export function dequantize(shape: ChannelsLastShape, x: Uint8Array, scale: number, zeroPoint: number, out: Float32Array): void {
  checkQuantize('dequantize', shape, scale, zeroPoint, x.length, out.length);
  const s = Math.fround(scale);
  const { channels, plane } = shape;
  for (let image = 0; image < shape.batch; image++) {
    const base = image * channels * plane;
    for (let ch = 0; ch < channels; ch++) {
      for (let i = 0; i < plane; i++) out[base + ch * plane + i] = (x[base + i * channels + ch]! - zeroPoint) * s;
    }
  }
}
