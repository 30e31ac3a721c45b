/**
 * Reference 2-D convolution for the `js` backend: im2col + GEMM per image and group, col2im for the input
 * gradient.
 *
 * For one image and group g, with K = (inChannels / groups) · kernelH · kernelW and P = outH · outW:
 * forward is out_g[Cout/groups × P] = w_g[Cout/groups × K] · col[K × P], the input gradient is
 * col2im(w_gᵀ · dy_g) and the weight gradient is Σ_images dy_g · colᵀ.
 */
import type { Conv2dGeometry, FloatArray, FusedActivation, Pool2dGeometry } from '../backend.js';
import { gemm } from './gemm.js';
import { maxPool2d } from './pool2d.js';

/** Sizes derived from a geometry that every entry point needs. */
interface Layout {
  /** Input channels per group. */
  cinG: number;
  /** Output channels per group. */
  coutG: number;
  /** Rows of the im2col matrix: cinG · kernelH · kernelW. */
  kSize: number;
  inPlane: number;
  outPlane: number;
  /** Whether the im2col matrix of an image is the input itself (1×1 kernel, stride 1, no padding). */
  direct: boolean;
}

// Reused across calls: training runs the same convolutions every step, and a fresh column matrix per call
// churns the GC.
let colScratch = new Float64Array(0);

/** A scratch column matrix of at least `size` elements; its contents are stale. */
function columns(size: number): Float64Array {
  if (colScratch.length < size) colScratch = new Float64Array(size);
  return colScratch;
}

/**
 * out[N, Cout, outH, outW] = act(conv(x[N, Cin, H, W], w) (+ bias[Cout] when given)). Overwrites out.
 */
export function conv2d(
  g: Conv2dGeometry,
  x: FloatArray,
  w: FloatArray,
  bias: FloatArray | null,
  out: FloatArray,
  activation: FusedActivation = 'none',
): void {
  const l = layout(g);
  checkLengths(g, l, { x, w, out });
  if (bias !== null && bias.length < g.outChannels) {
    throw new RangeError(`conv2d: bias has ${bias.length} elements, needs ${g.outChannels}`);
  }
  const { cinG, coutG, kSize, inPlane, outPlane, direct } = l;
  const col = direct ? null : columns(kSize * outPlane);
  for (let n = 0; n < g.batch; n++) {
    for (let grp = 0; grp < g.groups; grp++) {
      const xOffset = (n * g.inChannels + grp * cinG) * inPlane;
      if (col !== null) im2col(g, cinG, x, xOffset, col);
      gemm({
        m: coutG,
        n: outPlane,
        k: kSize,
        a: w,
        aOffset: grp * coutG * kSize,
        lda: kSize,
        transA: false,
        b: col ?? x,
        bOffset: col === null ? xOffset : 0,
        ldb: outPlane,
        transB: false,
        c: out,
        cOffset: (n * g.outChannels + grp * coutG) * outPlane,
        ldc: outPlane,
        alpha: 1,
        beta: 0,
      });
    }
    if (bias !== null || activation === 'relu') {
      const relu = activation === 'relu';
      for (let oc = 0; oc < g.outChannels; oc++) {
        const start = (n * g.outChannels + oc) * outPlane;
        const b = bias === null ? 0 : bias[oc];
        for (let i = start; i < start + outPlane; i++) {
          const v = bias === null ? out[i] : out[i] + b;
          // The unary relu's rule: NaN stays NaN, −0 becomes +0.
          out[i] = relu && !(v > 0) && !Number.isNaN(v) ? 0 : v;
        }
      }
    }
  }
}

/** {@link conv2d} then {@link maxPool2d} without positions: out = maxPool(act(conv(x, w) + bias)). */
export function conv2dMaxPool(
  g: Conv2dGeometry,
  pool: Pool2dGeometry,
  x: FloatArray,
  w: FloatArray,
  bias: FloatArray | null,
  out: FloatArray,
  activation: FusedActivation = 'none',
): void {
  checkPoolOfConvolution(g, pool);
  const size = g.batch * g.outChannels * g.outH * g.outW;
  const convolved = out instanceof Float64Array ? new Float64Array(size) : new Float32Array(size);
  conv2d(g, x, w, bias, convolved, activation);
  maxPool2d(pool, convolved, out, null);
}

/** Throws unless `pool` pools the output of the convolution `g`. */
export function checkPoolOfConvolution(g: Conv2dGeometry, pool: Pool2dGeometry): void {
  if (pool.batch !== g.batch || pool.channels !== g.outChannels || pool.inH !== g.outH || pool.inW !== g.outW) {
    throw new RangeError(
      `conv2dMaxPool: the pooling takes [${pool.batch}, ${pool.channels}, ${pool.inH}, ${pool.inW}] but the convolution gives ` +
        `[${g.batch}, ${g.outChannels}, ${g.outH}, ${g.outW}]`,
    );
  }
}

/** dx[N, Cin, H, W] = ∂out/∂x ᵀ · dy. Overwrites dx. */
export function conv2dBackwardInput(g: Conv2dGeometry, dy: FloatArray, w: FloatArray, dx: FloatArray): void {
  const l = layout(g);
  checkLengths(g, l, { x: dx, w, out: dy });
  const { cinG, coutG, kSize, inPlane, outPlane, direct } = l;
  const dcol = direct ? null : columns(kSize * outPlane);
  for (let n = 0; n < g.batch; n++) {
    for (let grp = 0; grp < g.groups; grp++) {
      const dxOffset = (n * g.inChannels + grp * cinG) * inPlane;
      gemm({
        m: kSize,
        n: outPlane,
        k: coutG,
        a: w,
        aOffset: grp * coutG * kSize,
        lda: kSize,
        transA: true,
        b: dy,
        bOffset: (n * g.outChannels + grp * coutG) * outPlane,
        ldb: outPlane,
        transB: false,
        c: dcol ?? dx,
        cOffset: dcol === null ? dxOffset : 0,
        ldc: outPlane,
        alpha: 1,
        beta: 0,
      });
      if (dcol !== null) col2im(g, cinG, dcol, dx, dxOffset);
    }
  }
}

/** dw[Cout, Cin/groups, kH, kW] = ∂out/∂w ᵀ · dy. Overwrites dw. */
export function conv2dBackwardWeight(g: Conv2dGeometry, x: FloatArray, dy: FloatArray, dw: FloatArray): void {
  const l = layout(g);
  checkLengths(g, l, { x, w: dw, out: dy });
  const { cinG, coutG, kSize, inPlane, outPlane, direct } = l;
  const col = direct ? null : columns(kSize * outPlane);
  if (g.batch === 0) dw.fill(0, 0, g.outChannels * kSize);
  for (let n = 0; n < g.batch; n++) {
    for (let grp = 0; grp < g.groups; grp++) {
      const xOffset = (n * g.inChannels + grp * cinG) * inPlane;
      if (col !== null) im2col(g, cinG, x, xOffset, col);
      gemm({
        m: coutG,
        n: kSize,
        k: outPlane,
        a: dy,
        aOffset: (n * g.outChannels + grp * coutG) * outPlane,
        lda: outPlane,
        transA: false,
        b: col ?? x,
        bOffset: col === null ? xOffset : 0,
        ldb: outPlane,
        transB: true,
        c: dw,
        cOffset: grp * coutG * kSize,
        ldc: kSize,
        alpha: 1,
        // The first image overwrites dw; the rest accumulate onto it.
        beta: n === 0 ? 0 : 1,
      });
    }
  }
}

/**
 * Range [start, end) of output positions along one axis whose input coordinate
 * `o · stride - pad + offset` falls inside [0, size).
 */
function validRange(size: number, stride: number, pad: number, offset: number, outSize: number): [number, number] {
  const shift = pad - offset;
  const start = Math.min(outSize, Math.max(0, Math.ceil(shift / stride)));
  const end = Math.max(start, Math.min(outSize, Math.floor((size - 1 + shift) / stride) + 1));
  return [start, end];
}

/** Unfolds the cinG channels of one image and group at xOffset into col[K × outH·outW], zeros for padding. */
function im2col(g: Conv2dGeometry, cinG: number, x: FloatArray, xOffset: number, col: Float64Array): void {
  const { inH, inW, outH, outW, kernelH, kernelW, strideH, strideW, padTop, padLeft, dilationH, dilationW } = g;
  let row = 0;
  for (let c = 0; c < cinG; c++) {
    const plane = xOffset + c * inH * inW;
    for (let kh = 0; kh < kernelH; kh++) {
      const [ohStart, ohEnd] = validRange(inH, strideH, padTop, kh * dilationH, outH);
      for (let kw = 0; kw < kernelW; kw++) {
        const [owStart, owEnd] = validRange(inW, strideW, padLeft, kw * dilationW, outW);
        const rowBase = row * outH * outW;
        col.fill(0, rowBase, rowBase + ohStart * outW);
        for (let oh = ohStart; oh < ohEnd; oh++) {
          const dst = rowBase + oh * outW;
          const src = plane + (oh * strideH - padTop + kh * dilationH) * inW - padLeft + kw * dilationW;
          col.fill(0, dst, dst + owStart);
          for (let ow = owStart; ow < owEnd; ow++) col[dst + ow] = x[src + ow * strideW];
          col.fill(0, dst + owEnd, dst + outW);
        }
        col.fill(0, rowBase + ohEnd * outW, rowBase + outH * outW);
        row++;
      }
    }
  }
}

/** Adjoint of {@link im2col}: overwrites the cinG channels at dxOffset with the sums of their col entries. */
function col2im(g: Conv2dGeometry, cinG: number, col: Float64Array, dx: FloatArray, dxOffset: number): void {
  const { inH, inW, outH, outW, kernelH, kernelW, strideH, strideW, padTop, padLeft, dilationH, dilationW } = g;
  dx.fill(0, dxOffset, dxOffset + cinG * inH * inW);
  let row = 0;
  for (let c = 0; c < cinG; c++) {
    const plane = dxOffset + c * inH * inW;
    for (let kh = 0; kh < kernelH; kh++) {
      const [ohStart, ohEnd] = validRange(inH, strideH, padTop, kh * dilationH, outH);
      for (let kw = 0; kw < kernelW; kw++) {
        const [owStart, owEnd] = validRange(inW, strideW, padLeft, kw * dilationW, outW);
        const rowBase = row * outH * outW;
        for (let oh = ohStart; oh < ohEnd; oh++) {
          const src = rowBase + oh * outW;
          const dst = plane + (oh * strideH - padTop + kh * dilationH) * inW - padLeft + kw * dilationW;
          for (let ow = owStart; ow < owEnd; ow++) dx[dst + ow * strideW] += col[src + ow];
        }
        row++;
      }
    }
  }
}

const POSITIVE_FIELDS = ['groups', 'kernelH', 'kernelW', 'strideH', 'strideW', 'dilationH', 'dilationW'] as const;
const GEOMETRY_FIELDS = [
  ...POSITIVE_FIELDS,
  'batch',
  'inChannels',
  'inH',
  'inW',
  'outChannels',
  'padTop',
  'padLeft',
  'outH',
  'outW',
] as const satisfies readonly (keyof Conv2dGeometry)[];

/** Validates the geometry and derives the sizes the kernels share. */
function layout(g: Conv2dGeometry): Layout {
  for (const name of GEOMETRY_FIELDS) {
    const value = g[name];
    if (!Number.isInteger(value) || value < 0) {
      throw new RangeError(`conv2d: ${name} must be a non-negative integer, got ${value}`);
    }
  }
  for (const name of POSITIVE_FIELDS) {
    if (g[name] < 1) throw new RangeError(`conv2d: ${name} must be at least 1, got ${g[name]}`);
  }
  if (g.inChannels % g.groups !== 0 || g.outChannels % g.groups !== 0) {
    throw new RangeError(
      `conv2d: groups (${g.groups}) must divide inChannels (${g.inChannels}) and outChannels (${g.outChannels})`,
    );
  }
  const cinG = g.inChannels / g.groups;
  const direct =
    g.kernelH === 1 &&
    g.kernelW === 1 &&
    g.strideH === 1 &&
    g.strideW === 1 &&
    g.padTop === 0 &&
    g.padLeft === 0 &&
    g.outH === g.inH &&
    g.outW === g.inW;
  return {
    cinG,
    coutG: g.outChannels / g.groups,
    kSize: cinG * g.kernelH * g.kernelW,
    inPlane: g.inH * g.inW,
    outPlane: g.outH * g.outW,
    direct,
  };
}

/** Throws when an input-, weight- or output-shaped array is shorter than the geometry requires. */
function checkLengths(g: Conv2dGeometry, l: Layout, arrays: { x: FloatArray; w: FloatArray; out: FloatArray }): void {
  const need = {
    x: g.batch * g.inChannels * l.inPlane,
    w: g.outChannels * l.kSize,
    out: g.batch * g.outChannels * l.outPlane,
  };
  for (const key of ['x', 'w', 'out'] as const) {
    if (arrays[key].length < need[key]) {
      throw new RangeError(`conv2d: ${key}-shaped array has ${arrays[key].length} elements, needs ${need[key]}`);
    }
  }
}
