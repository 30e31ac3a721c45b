import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { coalesce, contiguousStrides, forEachRow } from '../../src/backend/strided.js';

/** Every (operand offsets) visited by forEachRow, element by element, in visiting order. */
function visit(shape: number[], stridesList: number[][], offsets: number[]): { elements: number[][]; rows: number } {
  const elements: number[][] = [];
  let rows = 0;
  forEachRow(shape, stridesList, offsets, (starts, length, inner) => {
    rows++;
    for (let i = 0; i < length; i++) elements.push(starts.map((s, k) => s + i * inner[k]!));
  });
  return { elements, rows };
}

/** The offsets of every element in row-major index order, computed from the definition. */
function expected(shape: number[], stridesList: number[][], offsets: number[]): number[][] {
  const out: number[][] = [];
  const index = new Array<number>(shape.length).fill(0);
  const total = shape.reduce((a, b) => a * b, 1);
  for (let n = 0; n < total; n++) {
    out.push(offsets.map((o, k) => o + index.reduce((acc, i, d) => acc + i * stridesList[k]![d]!, 0)));
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++index[d]! < shape[d]!) break;
      index[d] = 0;
    }
  }
  return out;
}

describe('contiguousStrides', () => {
  test('row-major strides', () => {
    assert.deepEqual(contiguousStrides([2, 3, 4]), [12, 4, 1]);
    assert.deepEqual(contiguousStrides([]), []);
    assert.deepEqual(contiguousStrides([3, 0, 2]), [0, 2, 1]);
  });
});

describe('coalesce', () => {
  test('a contiguous shape merges into one dimension', () => {
    assert.deepEqual(coalesce([2, 3, 4], [[12, 4, 1]]), { shape: [24], strides: [[1]] });
  });

  test('size-1 dimensions are dropped', () => {
    assert.deepEqual(coalesce([1, 3, 1, 2], [[99, 2, 77, 1]]), { shape: [6], strides: [[1]] });
    assert.deepEqual(coalesce([1, 1], [[5, 3]]), { shape: [], strides: [[]] });
    assert.deepEqual(coalesce([], [[], []]), { shape: [], strides: [[], []] });
  });

  test('dimensions merge only when contiguous in every operand', () => {
    // Operand 0 contiguous, operand 1 transposed: nothing merges.
    assert.deepEqual(coalesce([2, 3], [[3, 1], [1, 2]]), { shape: [2, 3], strides: [[3, 1], [1, 2]] });
    // Leading dimensions contiguous in both, the last one is not (a column slice): the first two merge.
    assert.deepEqual(coalesce([2, 3, 4], [[12, 4, 1], [30, 10, 2]]), { shape: [6, 4], strides: [[4, 1], [10, 2]] });
  });

  test('a broadcast (stride 0) operand merges its zero-stride dimensions', () => {
    assert.deepEqual(coalesce([2, 3], [[3, 1], [0, 0]]), { shape: [6], strides: [[1], [0]] });
    // Broadcast along rows only: stays two-dimensional.
    assert.deepEqual(coalesce([2, 3], [[3, 1], [0, 1]]), { shape: [2, 3], strides: [[3, 1], [0, 1]] });
  });

  test('does not mutate its inputs', () => {
    const shape = [2, 3];
    const strides = [[3, 1]];
    coalesce(shape, strides);
    assert.deepEqual(shape, [2, 3]);
    assert.deepEqual(strides, [[3, 1]]);
  });
});

describe('forEachRow', () => {
  test('a contiguous tensor is one row', () => {
    const r = visit([2, 3, 4], [contiguousStrides([2, 3, 4])], [5]);
    assert.equal(r.rows, 1);
    assert.deepEqual(r.elements, expected([2, 3, 4], [[12, 4, 1]], [5]));
  });

  test('a transposed view visits every element once at the right offsets', () => {
    // out contiguous [3,2]; source is a [2,3] matrix read transposed: strides [1, 3].
    const shape = [3, 2];
    const strides = [[2, 1], [1, 3]];
    const r = visit(shape, strides, [0, 0]);
    assert.equal(r.rows, 3);
    assert.deepEqual(r.elements, expected(shape, strides, [0, 0]));
    assert.deepEqual(r.elements.map((e) => e[1]), [0, 3, 1, 4, 2, 5]);
    assert.deepEqual(r.elements.map((e) => e[0]), [0, 1, 2, 3, 4, 5]);
  });

  test('a broadcast (stride 0) operand with offsets', () => {
    const shape = [3, 4];
    const strides = [[4, 1], [1, 0], [0, 1]];
    const offsets = [10, 20, 30];
    const r = visit(shape, strides, offsets);
    assert.deepEqual(r.elements, expected(shape, strides, offsets));
    assert.deepEqual(r.elements.map((e) => e[1]), [20, 20, 20, 20, 21, 21, 21, 21, 22, 22, 22, 22]);
    assert.deepEqual(r.elements.map((e) => e[2]), [30, 31, 32, 33, 30, 31, 32, 33, 30, 31, 32, 33]);
  });

  test('higher-rank permuted views with size-1 dimensions match the definition', () => {
    const shape = [2, 1, 3, 4];
    // A [4,3,2] buffer permuted to [2,·,3,4] plus a size-1 dim with a junk stride.
    const strides = [[12, 12, 4, 1], [1, 1000, 2, 6]];
    const r = visit(shape, strides, [0, 7]);
    assert.deepEqual(r.elements, expected(shape, strides, [0, 7]));
    assert.equal(new Set(r.elements.map((e) => e[1])).size, 24, 'each source element once');
  });

  test('negative strides (reversed views) work', () => {
    const shape = [2, 3];
    const strides = [[-3, -1]];
    const r = visit(shape, strides, [5]);
    assert.deepEqual(r.elements.map((e) => e[0]), [5, 4, 3, 2, 1, 0]);
  });

  test('an empty shape calls nothing', () => {
    assert.equal(visit([0], [[1]], [0]).rows, 0);
    assert.equal(visit([3, 0, 2], [[0, 2, 1]], [0]).rows, 0);
  });

  test('a 0-d shape calls once with length 1', () => {
    const calls: [number[], number, number[]][] = [];
    forEachRow([], [[], []], [4, 9], (starts, length, inner) => calls.push([[...starts], length, [...inner]]));
    assert.deepEqual(calls, [[[4, 9], 1, [0, 0]]]);
  });

  test('an all-ones shape also calls once', () => {
    const r = visit([1, 1, 1], [[7, 8, 9]], [3]);
    assert.equal(r.rows, 1);
    assert.deepEqual(r.elements, [[3]]);
  });

  test('does not modify the offsets argument', () => {
    const offsets = [0, 0];
    visit([2, 3], [[1, 2], [3, 1]], offsets);
    assert.deepEqual(offsets, [0, 0]);
  });
});
