/**
 * Iteration over several strided operands that share one shape. Dimensions that are contiguous for every
 * operand are merged first, so the common cases (contiguous tensors, a broadcast scalar) run as one flat
 * loop per call.
 */

/** A shape and per-operand strides with size-1 dimensions dropped and mergeable dimensions merged. */
export interface Coalesced {
  shape: number[];
  strides: number[][];
}

/** Drops size-1 dimensions and merges neighbours that are contiguous in every operand. */
export function coalesce(shape: readonly number[], stridesList: readonly (readonly number[])[]): Coalesced {
  const outShape: number[] = [];
  const outStrides: number[][] = stridesList.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    const extent = shape[d]!;
    if (extent === 1) continue;
    const last = outShape.length - 1;
    const mergeable =
      last >= 0 && stridesList.every((strides, k) => outStrides[k]![last] === strides[d]! * extent);
    if (mergeable) {
      outShape[last] = outShape[last]! * extent;
      stridesList.forEach((strides, k) => (outStrides[k]![last] = strides[d]!));
    } else {
      outShape.push(extent);
      stridesList.forEach((strides, k) => outStrides[k]!.push(strides[d]!));
    }
  }
  return { shape: outShape, strides: outStrides };
}

/**
 * Calls `row(starts, length, innerStrides)` once per innermost row of the coalesced iteration space, with
 * `starts[k]` the offset of the row's first element in operand k. Nothing is called for an empty shape.
 */
export function forEachRow(
  shape: readonly number[],
  stridesList: readonly (readonly number[])[],
  offsets: readonly number[],
  row: (starts: number[], length: number, innerStrides: number[]) => void,
): void {
  if (shape.some((d) => d === 0)) return;
  const { shape: dims, strides } = coalesce(shape, stridesList);
  const operands = offsets.length;
  const starts = offsets.slice();
  if (dims.length === 0) {
    row(starts, 1, new Array<number>(operands).fill(0));
    return;
  }
  const innerDim = dims.length - 1;
  const length = dims[innerDim]!;
  const innerStrides = strides.map((s) => s[innerDim]!);
  const counter = new Array<number>(innerDim).fill(0);
  while (true) {
    row(starts, length, innerStrides);
    let d = innerDim - 1;
    for (; d >= 0; d--) {
      counter[d]!++;
      for (let k = 0; k < operands; k++) starts[k]! += strides[k]![d]!;
      if (counter[d]! < dims[d]!) break;
      for (let k = 0; k < operands; k++) starts[k]! -= strides[k]![d]! * dims[d]!;
      counter[d] = 0;
    }
    if (d < 0) return;
  }
}

/** Row-major strides of a contiguous buffer of `shape`. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}
