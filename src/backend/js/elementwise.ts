import type { BinaryOp, FloatArray, NumericArray, StridedView, UnaryOp } from '../backend.js';
import { contiguousStrides, forEachRow } from '../strided.js';
import { erf, sigmoid, softplus } from './math.js';

type UnaryFn = (x: number, alpha: number, beta: number) => number;
type BinaryFn = (a: number, b: number) => number;

const SQRT1_2 = Math.SQRT1_2;

const UNARY: Record<UnaryOp, UnaryFn> = {
  neg: (x) => -x,
  exp: (x) => Math.exp(x),
  log: (x) => Math.log(x),
  sqrt: (x) => Math.sqrt(x),
  rsqrt: (x) => 1 / Math.sqrt(x),
  abs: (x) => Math.abs(x),
  sign: (x) => (x > 0 ? 1 : x < 0 ? -1 : x),
  relu: (x) => (x > 0 ? x : Number.isNaN(x) ? x : 0),
  leakyRelu: (x, alpha) => (x > 0 ? x : x * alpha),
  elu: (x, alpha) => (x > 0 ? x : alpha * Math.expm1(x)),
  gelu: (x) => 0.5 * x * (1 + erf(x * SQRT1_2)),
  erf: (x) => erf(x),
  sigmoid: (x) => sigmoid(x),
  tanh: (x) => Math.tanh(x),
  softplus: (x) => softplus(x),
  clamp: (x, lo, hi) => (x < lo ? lo : x > hi ? hi : x),
  powScalar: (x, exponent) => Math.pow(x, exponent),
  square: (x) => x * x,
  reciprocal: (x) => 1 / x,
};

const BINARY: Record<BinaryOp, BinaryFn> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: (a, b) => Math.pow(a, b),
  // NaN propagates through maximum/minimum, as in PyTorch.
  maximum: (a, b) => (a > b || Number.isNaN(a) ? a : b),
  minimum: (a, b) => (a < b || Number.isNaN(a) ? a : b),
  eq: (a, b) => (a === b ? 1 : 0),
  ne: (a, b) => (a !== b ? 1 : 0),
  lt: (a, b) => (a < b ? 1 : 0),
  le: (a, b) => (a <= b ? 1 : 0),
  gt: (a, b) => (a > b ? 1 : 0),
  ge: (a, b) => (a >= b ? 1 : 0),
};

/** Unary kernel over a strided input, written contiguously. */
export function unary(
  op: UnaryOp,
  x: StridedView,
  shape: readonly number[],
  out: NumericArray,
  alpha = 0,
  beta = 0,
): void {
  const f = UNARY[op];
  const src = x.data;
  forEachRow(shape, [x.strides, contiguousStrides(shape)], [x.offset, 0], (starts, n, inner) => {
    const sx = inner[0]!;
    let ix = starts[0]!;
    let io = starts[1]!;
    for (let i = 0; i < n; i++, ix += sx, io++) out[io] = f(src[ix]!, alpha, beta);
  });
}

/** Binary kernel with broadcasting through zero strides, written contiguously. */
export function binary(op: BinaryOp, a: StridedView, b: StridedView, shape: readonly number[], out: NumericArray): void {
  const f = BINARY[op];
  const da = a.data;
  const db = b.data;
  forEachRow(shape, [a.strides, b.strides, contiguousStrides(shape)], [a.offset, b.offset, 0], (starts, n, inner) => {
    const sa = inner[0]!;
    const sb = inner[1]!;
    let ia = starts[0]!;
    let ib = starts[1]!;
    let io = starts[2]!;
    for (let i = 0; i < n; i++, ia += sa, ib += sb, io++) out[io] = f(da[ia]!, db[ib]!);
  });
}

/** out = cond ? a : b, broadcasting through zero strides, written contiguously. */
export function where(
  cond: StridedView,
  a: StridedView,
  b: StridedView,
  shape: readonly number[],
  out: NumericArray,
): void {
  const dc = cond.data;
  const da = a.data;
  const db = b.data;
  forEachRow(
    shape,
    [cond.strides, a.strides, b.strides, contiguousStrides(shape)],
    [cond.offset, a.offset, b.offset, 0],
    (starts, n, inner) => {
      let ic = starts[0]!;
      let ia = starts[1]!;
      let ib = starts[2]!;
      let io = starts[3]!;
      for (let i = 0; i < n; i++, ic += inner[0]!, ia += inner[1]!, ib += inner[2]!, io++) {
        out[io] = dc[ic] ? da[ia]! : db[ib]!;
      }
    },
  );
}

/** Strided-to-strided copy (converting the element type when the arrays differ). */
export function copy(src: StridedView, shape: readonly number[], dst: StridedView): void {
  const ds = src.data;
  const dd = dst.data;
  forEachRow(shape, [src.strides, dst.strides], [src.offset, dst.offset], (starts, n, inner) => {
    const ss = inner[0]!;
    const sd = inner[1]!;
    let is = starts[0]!;
    let id = starts[1]!;
    if (ss === 1 && sd === 1 && ds.constructor === dd.constructor) {
      dd.set(ds.subarray(is, is + n), id);
      return;
    }
    for (let i = 0; i < n; i++, is += ss, id += sd) dd[id] = ds[is]!;
  });
}

/** The ReLU gradient: dx[i] = x[i] > 0 ? dy[i] : 0 over dx's length. */
export function reluBackward(x: FloatArray, dy: FloatArray, dx: FloatArray): void {
  const n = dx.length;
  for (const [name, array] of [['x', x], ['dy', dy]] as const) {
    if (array.length < n) throw new RangeError(`reluBackward: ${name} needs ${n} elements, has ${array.length}`);
  }
  for (let i = 0; i < n; i++) dx[i] = x[i]! > 0 ? dy[i]! : 0;
}
