import type { NumericArray, ReduceOp, StridedView } from '../backend.js';
import { contiguousStrides, forEachRow } from '../strided.js';

/**
 * Reduction over the flagged dimensions of a strided input. The reduced dimensions are walked as a
 * row-major block (so argmax/argmin indices count within that block); the kept ones index the output.
 * Sums accumulate in double precision whatever the storage type.
 */
export function reduce(
  op: ReduceOp,
  x: StridedView,
  shape: readonly number[],
  reduced: readonly boolean[],
  out: NumericArray,
): void {
  const keptShape: number[] = [];
  const keptStrides: number[] = [];
  const redShape: number[] = [];
  const redStrides: number[] = [];
  shape.forEach((extent, d) => {
    if (reduced[d]) {
      redShape.push(extent);
      redStrides.push(x.strides[d]!);
    } else {
      keptShape.push(extent);
      keptStrides.push(x.strides[d]!);
    }
  });
  const outStrides = contiguousStrides(keptShape);
  const data = x.data;
  const reduceOne = REDUCERS[op];

  if (keptShape.some((d) => d === 0)) return;
  const redEmpty = redShape.some((d) => d === 0);
  // Walk every output element (the kept dimensions, with a row loop in the innermost one).
  forEachRow(keptShape, [keptStrides, outStrides], [x.offset, 0], (starts, n, inner) => {
    let base = starts[0]!;
    let io = starts[1]!;
    for (let i = 0; i < n; i++, base += inner[0]!, io += inner[1]!) {
      out[io] = redEmpty ? emptyResult(op) : reduceOne(data, base, redShape, redStrides);
    }
  });
}

type Reducer = (data: NumericArray, base: number, shape: number[], strides: number[]) => number;

function emptyResult(op: ReduceOp): number {
  if (op === 'sum') return 0;
  throw new RangeError(`${op}: cannot reduce over an empty dimension (it has no ${op === 'min' || op === 'argmin' ? 'minimum' : 'maximum'})`);
}

/** Calls `visit(value, flatIndex)` for each element of the reduced block, in row-major order. */
function forEachReduced(
  data: NumericArray,
  base: number,
  shape: number[],
  strides: number[],
  visit: (value: number, index: number) => void,
): void {
  let index = 0;
  forEachRow(shape, [strides], [base], (starts, n, inner) => {
    const s = inner[0]!;
    for (let i = 0, p = starts[0]!; i < n; i++, p += s) visit(data[p]!, index++);
  });
}

function extreme(better: (a: number, b: number) => boolean, wantIndex: boolean): Reducer {
  return (data, base, shape, strides) => {
    let best = NaN;
    let bestIndex = -1;
    let seenNaN = false;
    forEachReduced(data, base, shape, strides, (v, i) => {
      if (seenNaN) return;
      // NaN wins and sticks, as in PyTorch's max/argmax.
      if (Number.isNaN(v)) {
        seenNaN = true;
        best = v;
        bestIndex = i;
      } else if (bestIndex < 0 || better(v, best)) {
        best = v;
        bestIndex = i;
      }
    });
    return wantIndex ? bestIndex : best;
  };
}

const REDUCERS: Record<ReduceOp, Reducer> = {
  sum: (data, base, shape, strides) => {
    let total = 0;
    forEachRow(shape, [strides], [base], (starts, n, inner) => {
      const s = inner[0]!;
      for (let i = 0, p = starts[0]!; i < n; i++, p += s) total += data[p]!;
    });
    return total;
  },
  max: extreme((a, b) => a > b, false),
  min: extreme((a, b) => a < b, false),
  argmax: extreme((a, b) => a > b, true),
  argmin: extreme((a, b) => a < b, true),
};
