/**
 * Reference GEMM for the `js` backend: a GotoBLAS-style blocked kernel in plain TypeScript.
 *
 * op(A) and op(B) are copied into contiguous, zero-padded Float64Array panels, so the micro-kernel reads
 * one monomorphic array type whatever the operands' storage or transposition, and ragged edges cost only
 * a narrower store.
 */
import type { FloatArray, FusedActivation, GemmArgs, PackedGemmArgs, PackedMatrix } from '../backend.js';

/** Rows of C one micro-kernel call produces. */
const MR = 4;
/** Columns of C one micro-kernel call produces. */
const NR = 4;
/** Depth of a k-block: an MR×KC slice of A and a KC×NR slice of B stay in L1 across a micro-kernel call. */
const KC = 256;
/** Rows of A packed at once: an MC×KC block stays in L2 while it sweeps every B panel. */
const MC = 128;

/** op(B) packed by {@link packB}: for each k-block, NR-column panels stored k-major. */
class JsPackedMatrix implements PackedMatrix {
  readonly backend = 'js';
  readonly k: number;
  readonly n: number;
  readonly data: Float64Array;

  constructor(k: number, n: number, data: Float64Array) {
    this.k = k;
    this.n = n;
    this.data = data;
  }
}

// Scratch reused across calls: GEMM runs in tight training loops and re-allocating panels churns the GC.
const aPanels = new Float64Array(MC * KC);
let bPanels = new Float64Array(0);
const tile = new Float64Array(MR * NR);

/**
 * Dense GEMM, `C = act(alpha · op(A) · op(B) + beta · C + bias)`, row-major with offsets and leading
 * dimensions; the bias and the activation are optional.
 *
 * `beta = 0` overwrites C without reading it. As in BLAS, `alpha = 0` or `k = 0` reduces the product to
 * `C = beta · C` without reading A or B.
 */
export function gemm(args: GemmArgs): void {
  const { m, n, k, b, bOffset, ldb, transB } = args;
  checkGemm(args, m, n, k);
  checkOperand('B', b, bOffset, ldb, transB ? n : k, transB ? k : n);
  checkBias(args.bias, n);
  if (m === 0 || n === 0) return;
  if (k === 0 || args.alpha === 0) {
    scaleC(args.c, args.cOffset, args.ldc, m, n, args.beta);
  } else {
    const nPad = roundUp(n, NR);
    if (bPanels.length < KC * nPad) bPanels = new Float64Array(KC * nPad);
    const pb = bPanels;
    for (let p0 = 0; p0 < k; p0 += KC) {
      const kc = Math.min(KC, k - p0);
      packBBlock(b, bOffset, ldb, transB, p0, kc, n, pb, 0);
      multiplyKBlock(args, m, n, p0, kc, pb, 0);
    }
  }
  applyEpilogue(args.c, args.cOffset, args.ldc, m, n, args.bias ?? null, args.activation ?? 'none');
}

/** Adds bias[j] to column j of every row of C, then applies the activation (one pass, when there is work). */
function applyEpilogue(
  c: FloatArray,
  cOffset: number,
  ldc: number,
  m: number,
  n: number,
  bias: FloatArray | null,
  activation: FusedActivation,
): void {
  if (bias === null && activation === 'none') return;
  const relu = activation === 'relu';
  for (let i = 0; i < m; i++) {
    const row = cOffset + i * ldc;
    for (let j = 0; j < n; j++) {
      let v = bias === null ? c[row + j] : c[row + j] + bias[j];
      // Same rule as the unary relu: NaN stays NaN, −0 becomes +0.
      if (relu && !(v > 0) && !Number.isNaN(v)) v = 0;
      c[row + j] = v;
    }
  }
}

function checkBias(bias: FloatArray | null | undefined, n: number): void {
  if (bias !== undefined && bias !== null && bias.length < n) throw new RangeError(`gemm: bias has ${bias.length} elements, needs ${n}`);
}

/**
 * Packs op(B) (k×n) once so that {@link gemmPacked} can reuse it, e.g. for weights between steps.
 * The result holds a copy: later changes to `b` are not seen.
 */
export function packB(
  b: FloatArray,
  bOffset: number,
  ldb: number,
  transB: boolean,
  k: number,
  n: number,
): PackedMatrix {
  checkDim('k', k);
  checkDim('n', n);
  checkOperand('B', b, bOffset, ldb, transB ? n : k, transB ? k : n);
  const nPad = roundUp(n, NR);
  const data = new Float64Array(k * nPad);
  // Block p0 starts after p0 full rows of panels, which is where gemmPacked looks for it.
  for (let p0 = 0; p0 < k; p0 += KC) {
    packBBlock(b, bOffset, ldb, transB, p0, Math.min(KC, k - p0), n, data, p0 * nPad);
  }
  return new JsPackedMatrix(k, n, data);
}

/**
 * GEMM with a right-hand side from {@link packB}, with the bias and activation of {@link gemm}; throws when
 * `b` was packed by another backend.
 */
export function gemmPacked(args: PackedGemmArgs): void {
  const packed = args.b;
  if (!(packed instanceof JsPackedMatrix)) {
    throw new Error(`gemmPacked: the js backend cannot use a matrix packed by the '${packed.backend}' backend`);
  }
  const { m } = args;
  const { k, n, data } = packed;
  checkGemm(args, m, n, k);
  checkBias(args.bias, n);
  if (m === 0 || n === 0) return;
  if (k === 0 || args.alpha === 0) {
    scaleC(args.c, args.cOffset, args.ldc, m, n, args.beta);
  } else {
    const nPad = roundUp(n, NR);
    for (let p0 = 0; p0 < k; p0 += KC) {
      multiplyKBlock(args, m, n, p0, Math.min(KC, k - p0), data, p0 * nPad);
    }
  }
  applyEpilogue(args.c, args.cOffset, args.ldc, m, n, args.bias ?? null, args.activation ?? 'none');
}

/** The A and C half of the arguments, shared by packed and unpacked GEMM. */
type LeftAndOutput = Omit<PackedGemmArgs, 'b'>;

/** Adds alpha · op(A)[:, p0:p0+kc] · (packed B rows p0:p0+kc) into C; the first block applies beta. */
function multiplyKBlock(
  args: LeftAndOutput,
  m: number,
  n: number,
  p0: number,
  kc: number,
  pb: Float64Array,
  pbOffset: number,
): void {
  const { a, aOffset, lda, transA, c, cOffset, ldc, alpha } = args;
  // Later k-blocks accumulate onto what the earlier ones wrote.
  const beta = p0 === 0 ? args.beta : 1;
  const pa = aPanels;
  for (let i0 = 0; i0 < m; i0 += MC) {
    const mc = Math.min(MC, m - i0);
    packABlock(a, aOffset, lda, transA, i0, mc, p0, kc, pa);
    for (let j0 = 0; j0 < n; j0 += NR) {
      const nr = Math.min(NR, n - j0);
      const pbPanel = pbOffset + j0 * kc;
      for (let ir = 0; ir < mc; ir += MR) {
        microKernel(kc, pa, ir * kc, pb, pbPanel);
        storeTile(c, cOffset + (i0 + ir) * ldc + j0, ldc, Math.min(MR, mc - ir), nr, alpha, beta);
      }
    }
  }
}

/** Multiplies an MR×kc A panel by a kc×NR B panel into {@link tile}; accumulators live in locals. */
function microKernel(kc: number, pa: Float64Array, ia: number, pb: Float64Array, ib: number): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  for (let p = 0; p < kc; p++) {
    const a0 = pa[ia], a1 = pa[ia + 1], a2 = pa[ia + 2], a3 = pa[ia + 3];
    const b0 = pb[ib], b1 = pb[ib + 1], b2 = pb[ib + 2], b3 = pb[ib + 3];
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
    ia += MR;
    ib += NR;
  }
  const t = tile;
  t[0] = c00; t[1] = c01; t[2] = c02; t[3] = c03;
  t[4] = c10; t[5] = c11; t[6] = c12; t[7] = c13;
  t[8] = c20; t[9] = c21; t[10] = c22; t[11] = c23;
  t[12] = c30; t[13] = c31; t[14] = c32; t[15] = c33;
}

/** Writes the valid mr×nr corner of {@link tile} into C as alpha · tile + beta · C. */
function storeTile(
  c: FloatArray,
  cOffset: number,
  ldc: number,
  mr: number,
  nr: number,
  alpha: number,
  beta: number,
): void {
  const t = tile;
  for (let r = 0; r < mr; r++) {
    const row = cOffset + r * ldc;
    const tr = r * NR;
    if (beta === 0) {
      for (let j = 0; j < nr; j++) c[row + j] = alpha * t[tr + j];
    } else if (beta === 1) {
      for (let j = 0; j < nr; j++) c[row + j] += alpha * t[tr + j];
    } else {
      for (let j = 0; j < nr; j++) c[row + j] = alpha * t[tr + j] + beta * c[row + j];
    }
  }
}

/** Copies op(A)[i0:i0+mc, p0:p0+kc] into MR-row panels, each stored k-major and zero-padded to MR rows. */
function packABlock(
  a: FloatArray,
  aOffset: number,
  lda: number,
  transA: boolean,
  i0: number,
  mc: number,
  p0: number,
  kc: number,
  dst: Float64Array,
): void {
  // op(A)[i][p] lives at aOffset + i·rowStride + p·depthStride.
  const rowStride = transA ? 1 : lda;
  const depthStride = transA ? lda : 1;
  let d = 0;
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = Math.min(MR, mc - ir);
    const base = aOffset + (i0 + ir) * rowStride + p0 * depthStride;
    for (let p = 0; p < kc; p++) {
      const src = base + p * depthStride;
      for (let r = 0; r < mr; r++) dst[d + r] = a[src + r * rowStride];
      for (let r = mr; r < MR; r++) dst[d + r] = 0;
      d += MR;
    }
  }
}

/** Copies op(B)[p0:p0+kc, 0:n] into NR-column panels at dstOffset, each stored k-major and zero-padded. */
function packBBlock(
  b: FloatArray,
  bOffset: number,
  ldb: number,
  transB: boolean,
  p0: number,
  kc: number,
  n: number,
  dst: Float64Array,
  dstOffset: number,
): void {
  // op(B)[p][j] lives at bOffset + p·depthStride + j·colStride.
  const depthStride = transB ? 1 : ldb;
  const colStride = transB ? ldb : 1;
  let d = dstOffset;
  for (let j0 = 0; j0 < n; j0 += NR) {
    const nr = Math.min(NR, n - j0);
    const base = bOffset + p0 * depthStride + j0 * colStride;
    for (let p = 0; p < kc; p++) {
      const src = base + p * depthStride;
      for (let j = 0; j < nr; j++) dst[d + j] = b[src + j * colStride];
      for (let j = nr; j < NR; j++) dst[d + j] = 0;
      d += NR;
    }
  }
}

/** C = beta · C, where beta = 0 clears C even where it held NaN. */
function scaleC(c: FloatArray, cOffset: number, ldc: number, m: number, n: number, beta: number): void {
  if (beta === 1) return;
  for (let i = 0; i < m; i++) {
    const row = cOffset + i * ldc;
    if (beta === 0) c.fill(0, row, row + n);
    else for (let j = 0; j < n; j++) c[row + j] *= beta;
  }
}

function roundUp(x: number, multiple: number): number {
  return Math.ceil(x / multiple) * multiple;
}

/** Rejects sizes and A/C extents that would make the kernel read or write outside the arrays. */
function checkGemm(args: LeftAndOutput, m: number, n: number, k: number): void {
  checkDim('m', m);
  checkDim('n', n);
  checkDim('k', k);
  checkOperand('A', args.a, args.aOffset, args.lda, args.transA ? k : m, args.transA ? m : k);
  checkOperand('C', args.c, args.cOffset, args.ldc, m, n);
}

function checkDim(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(`gemm: ${name} must be a non-negative integer, got ${value}`);
  }
}

/** Checks that a rows×cols matrix stored with the given offset and row stride fits in `data`. */
function checkOperand(name: string, data: FloatArray, offset: number, ld: number, rows: number, cols: number): void {
  if (!Number.isInteger(offset) || offset < 0) {
    throw new RangeError(`gemm: ${name} offset must be a non-negative integer, got ${offset}`);
  }
  if (!Number.isInteger(ld) || ld < cols) {
    throw new RangeError(`gemm: leading dimension of ${name} is ${ld} but its stored rows have ${cols} columns`);
  }
  if (rows === 0 || cols === 0) return;
  const end = offset + (rows - 1) * ld + cols;
  if (end > data.length) {
    throw new RangeError(
      `gemm: ${name} (${rows}×${cols}, offset ${offset}, ld ${ld}) needs ${end} elements, has ${data.length}`,
    );
  }
}
