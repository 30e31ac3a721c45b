import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BinaryOp, NumericArray, StridedView } from '../../../src/backend/backend.js';
import { binary, unary, where } from '../../../src/backend/js/elementwise.js';
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
  const shapes = [[64, 32, 26, 26], [3, 1, 70, 5], [2000, 3], [7], [], [4, 0, 3], [9, 1]];
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
