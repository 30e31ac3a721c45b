import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BinaryOp, NumericArray, StridedView } from '../../../src/backend/backend.js';
import { binary, copy, reluBackward, unary, where } from '../../../src/backend/js/elementwise.js';
import { reduce } from '../../../src/backend/js/reduce.js';
import { contiguousStrides } from '../../../src/backend/strided.js';
import { assertClose, seededRandom } from '../../helpers/arrays.js';
import { forEachConfiguration, nativeBackend } from './native.js';

const native = nativeBackend();

/** Values with NaN, ±Infinity, ±0 and ties mixed in, so the special cases are compared too. */
function awkward(length: number, rand: () => number): Float32Array {
  const specials = [NaN, Infinity, -Infinity, 0, -0, 0.5];
  return Float32Array.from({ length }, () => (rand() < 0.1 ? specials[Math.floor(rand() * specials.length)]! : rand() * 4 - 2));
}

interface Layout {
  name: string;
  shape: number[];
  /** Strides of each operand over `shape` (0 where it broadcasts), and its offset into a buffer of `size`. */
  operands: { strides: number[]; offset: number; size: number }[];
}

/** Operand layouts: the ones the addon runs, and ones it hands back to the js kernels. */
function layouts(operands: number): Layout[] {
  const same = (shape: number[], offset = 0): Layout['operands'][number] => ({
    strides: contiguousStrides(shape),
    offset,
    size: offset + shape.reduce((a, b) => a * b, 1),
  });
  const scalar = { strides: [0, 0], offset: 1, size: 2 };
  const row = { strides: [0, 1], offset: 0, size: 300 };
  const column = { strides: [1, 0], offset: 2, size: 70 };
  const transposed = { strides: [1, 67], offset: 0, size: 67 * 300 };
  const every = (op: Layout['operands'][number]): Layout['operands'] => Array.from({ length: operands }, () => op);
  const mixed = (...ops: Layout['operands']): Layout['operands'] => Array.from({ length: operands }, (_, i) => ops[i % ops.length]!);
  return [
    { name: 'contiguous, large enough to be split over threads', shape: [67, 3000], operands: every(same([67, 3000], 3)) },
    { name: 'contiguous vector', shape: [1001], operands: every(same([1001])) },
    { name: 'rank 0', shape: [], operands: every({ strides: [], offset: 1, size: 2 }) },
    { name: 'empty', shape: [0, 5], operands: every(same([0, 5])) },
    { name: 'scalar broadcast', shape: [67, 300], operands: mixed(same([67, 300]), scalar) },
    { name: 'row broadcast', shape: [67, 300], operands: mixed(row, same([67, 300], 5)) },
    { name: 'column broadcast', shape: [67, 300], operands: mixed(same([67, 300]), column, row) },
    { name: 'transposed view (js fallback)', shape: [67, 300], operands: mixed(transposed, same([67, 300])) },
    { name: 'every second element', shape: [500], operands: mixed({ strides: [2], offset: 1, size: 1001 }, same([500])) },
    {
      name: '3-D broadcast (js fallback)',
      shape: [4, 5, 6],
      operands: mixed(same([4, 5, 6]), { strides: [0, 1, 0], offset: 0, size: 5 }),
    },
  ];
}

function views(layout: Layout, rand: () => number, make: (size: number) => NumericArray = (n) => awkward(n, rand)): StridedView[] {
  return layout.operands.map((o) => ({ data: make(o.size), offset: o.offset, strides: o.strides }));
}

const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);
const BINARY: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'pow'];
const COMPARISONS = new Set<BinaryOp>(['eq', 'ne', 'lt', 'le', 'gt', 'ge']);

test('relu matches the js backend bit for bit, NaN and −0 included', () => {
  const rand = seededRandom(1);
  forEachConfiguration(native, (config) => {
    for (const layout of layouts(1)) {
      const [x] = views(layout, rand) as [StridedView];
      const want = new Float32Array(size(layout.shape));
      unary('relu', x, layout.shape, want);
      const got = new Float32Array(want.length).fill(7);
      native.unary('relu', x, layout.shape, got);
      assert.deepEqual(got, want, `${layout.name} (${config})`);
    }
  });
});

test('binary ops match the js backend bit for bit', () => {
  const rand = seededRandom(2);
  forEachConfiguration(native, (config) => {
    for (const layout of layouts(2)) {
      const [a, b] = views(layout, rand) as [StridedView, StridedView];
      for (const op of BINARY) {
        const make = (): NumericArray => (COMPARISONS.has(op) ? new Uint8Array(size(layout.shape)) : new Float32Array(size(layout.shape)));
        const want = make();
        binary(op, a, b, layout.shape, want);
        const got = make().fill(7);
        native.binary(op, a, b, layout.shape, got);
        assert.deepEqual(got, want, `${op}, ${layout.name} (${config})`);
      }
    }
  });
});

test('where matches the js backend bit for bit', () => {
  const rand = seededRandom(3);
  forEachConfiguration(native, (config) => {
    for (const layout of layouts(3)) {
      const [cond, a, b] = views(layout, rand) as [StridedView, StridedView, StridedView];
      cond.data = Uint8Array.from(cond.data, () => (rand() < 0.5 ? 1 : 0));
      const want = new Float32Array(size(layout.shape));
      where(cond, a, b, layout.shape, want);
      const got = new Float32Array(want.length).fill(7);
      native.where(cond, a, b, layout.shape, got);
      assert.deepEqual(got, want, `${layout.name} (${config})`);
    }
  });
});

test('reluBackward matches the js backend bit for bit on ragged lengths, NaN and ±0 included', () => {
  const rand = seededRandom(5);
  forEachConfiguration(native, (config) => {
    // Lengths around the vector widths, and one large enough to be split over threads.
    for (const n of [0, 1, 7, 15, 16, 17, 33, 1000, 200_003]) {
      const x = awkward(n + 3, rand);
      const dy = awkward(n + 1, rand);
      const want = new Float32Array(n);
      reluBackward(x, dy, want);
      const got = new Float32Array(n).fill(7);
      native.reluBackward(x, dy, got);
      assert.deepEqual(got, want, `length ${n} (${config})`);
    }
  });
});

test('reluBackward passes dy where x > 0 and writes +0 elsewhere', () => {
  const x = Float32Array.from([2, -1, 0, -0, NaN, Infinity, -Infinity]);
  const dy = Float32Array.from([5, 5, 5, 5, 5, NaN, NaN]);
  for (const kernel of [reluBackward, native.reluBackward.bind(native)]) {
    const dx = new Float32Array(7).fill(7);
    kernel(x, dy, dx);
    assert.deepEqual([...dx], [5, 0, 0, 0, 0, NaN, 0]);
    assert.ok(Object.is(dx[3], 0), 'x = −0 gives +0');
  }
  assert.throws(() => native.reluBackward(x.subarray(1), dy, new Float32Array(7)), /x needs 7 elements/);
  assert.throws(() => reluBackward(x, dy.subarray(1), new Float32Array(7)), /dy needs 7 elements, has 6/);
});

test('copy matches the js backend for transposes, permutes, slices and broadcasts', () => {
  const rand = seededRandom(6);
  const cases: { name: string; shape: number[]; strides: number[]; offset: number; size: number }[] = [
    { name: 'contiguous', shape: [67, 300], strides: [300, 1], offset: 3, size: 3 + 67 * 300 },
    { name: 'transpose (a Linear weight gradient)', shape: [128, 1600], strides: [1, 128], offset: 0, size: 128 * 1600 },
    { name: 'ragged transpose', shape: [33, 45], strides: [1, 33], offset: 1, size: 1 + 33 * 45 },
    { name: 'batched transpose', shape: [3, 37, 29], strides: [37 * 29, 1, 37], offset: 0, size: 3 * 37 * 29 },
    { name: 'NCHW → NHWC permute', shape: [2, 5, 7, 3], strides: [105, 7, 1, 35], offset: 0, size: 210 },
    { name: 'column slice', shape: [50, 20], strides: [41, 2], offset: 5, size: 5 + 49 * 41 + 39 },
    { name: 'row broadcast', shape: [300, 17], strides: [0, 1], offset: 2, size: 19 },
    { name: 'scalar broadcast', shape: [4, 5], strides: [0, 0], offset: 1, size: 2 },
    { name: 'rank 0', shape: [], strides: [], offset: 1, size: 2 },
    { name: 'empty', shape: [0, 5], strides: [5, 1], offset: 0, size: 0 },
  ];
  forEachConfiguration(native, (config) => {
    for (const c of cases) {
      const src = { data: awkward(c.size, rand), offset: c.offset, strides: c.strides };
      const total = size(c.shape);
      // The destination is a strided view too: every second element of a larger buffer.
      const dstStrides = contiguousStrides(c.shape).map((s) => 2 * s);
      const want = new Float32Array(2 * total + 1).fill(7);
      copy(src, c.shape, { data: want, offset: 1, strides: dstStrides });
      const got = new Float32Array(2 * total + 1).fill(7);
      native.copy(src, c.shape, { data: got, offset: 1, strides: dstStrides });
      assert.deepEqual(got, want, `${c.name} (${config})`);
    }
  });
});

test('copies between dtypes or within one buffer run on the js kernel', () => {
  const buffer = Float32Array.from([1, 2, 3, 4, 5]);
  // An overlapping shift right by one within the same storage.
  native.copy({ data: buffer, offset: 0, strides: [1] }, [4], { data: buffer, offset: 1, strides: [1] });
  assert.deepEqual([...buffer], [1, 1, 2, 3, 4]);
  const doubles = new Float64Array(3);
  native.copy({ data: Float32Array.from([0.5, 1.5, 2.5]), offset: 0, strides: [1] }, [3], { data: doubles, offset: 0, strides: [1] });
  assert.deepEqual([...doubles], [0.5, 1.5, 2.5]);
});

test('other dtypes and ops run on the js kernels', () => {
  const x = { data: Float64Array.from([-1, 2, NaN]), offset: 0, strides: [1] };
  const out = new Float64Array(3);
  native.unary('relu', x, [3], out);
  assert.deepEqual([...out], [0, 2, NaN]);
  const f32 = { data: Float32Array.from([-1, 4, 9]), offset: 0, strides: [1] };
  const roots = new Float32Array(3);
  native.unary('sqrt', f32, [3], roots);
  assert.deepEqual([...roots], [NaN, 2, 3]);
  const sums = new Float32Array(3);
  native.binary('add', f32, x, [3], sums);
  assert.deepEqual([...sums], [-2, 6, NaN]);
});

test('sum matches the js backend over every pattern of reduced dimensions', () => {
  const rand = seededRandom(4);
  // [8,32,26,26] holds 173k values: enough to be split over threads (64k per task), small enough that the
  // js reference stays quick over all 16 reduction patterns, both layouts and three thread counts.
  const shapes = [[8, 32, 26, 26], [3, 1, 70, 5], [2000, 3], [7], [], [4, 0, 3], [9, 1]];
  forEachConfiguration(native, (config) => {
    for (const shape of shapes) {
      for (let mask = 0; mask < 1 << shape.length; mask++) {
        const reduced = shape.map((_, d) => ((mask >> d) & 1) === 1);
        // A transposed view exercises strides that are not row-major.
        for (const transpose of shape.length >= 2 ? [false, true] : [false]) {
          const strides = contiguousStrides(shape);
          const viewStrides = transpose ? [...strides.slice(0, -2), strides.at(-1)!, strides.at(-2)!] : strides;
          const viewShape = transpose ? [...shape.slice(0, -2), shape.at(-1)!, shape.at(-2)!] : shape;
          const x = { data: Float32Array.from({ length: size(shape) + 2 }, () => rand() * 2 - 1), offset: 2, strides: viewStrides };
          const keptSize = size(viewShape.filter((_, d) => !reduced[d]));
          const want = new Float32Array(keptSize);
          reduce('sum', x, viewShape, reduced, want);
          const got = new Float32Array(keptSize).fill(NaN);
          native.reduce('sum', x, viewShape, reduced, got);
          assertClose(got, want, 1e-6, `sum of ${JSON.stringify(viewShape)} over ${JSON.stringify(reduced)} (${config})`);
        }
      }
    }
  });
});

test('sum keeps NaN and Infinity, and other reductions run on the js kernels', () => {
  const x = { data: Float32Array.from([1, NaN, 2, Infinity, 3, 4]), offset: 0, strides: [3, 1] };
  const out = new Float32Array(2);
  native.reduce('sum', x, [2, 3], [false, true], out);
  assert.deepEqual([...out], [NaN, Infinity]);
  const argmax = new Int32Array(2);
  native.reduce('argmax', x, [2, 3], [false, true], argmax);
  assert.deepEqual([...argmax], [1, 0]);
});
