import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as js from '../../../src/backend/js/sparse.js';
import { assertClose, seededRandom } from '../../helpers/arrays.js';
import { makeSparseOperands, sparseWeights, type SparseCase } from '../../helpers/kernel-cases.js';
import { forEachConfiguration, nativeBackend } from './native.js';

const native = nativeBackend();

/**
 * Batch sizes on both sides of the switch from gathered dot products (one row) to transposed blocks, past
 * the block widths (16 to 64 rows) and their lanes; reductions and outputs off every vector width, with
 * weight groups (32 rows) split unevenly.
 */
function* cases(rand: () => number): Generator<SparseCase> {
  for (const m of [1, 2, 3, 4, 5, 7, 8, 9, 17, 33, 64, 65, 130]) {
    for (const [n, k] of [[1, 1], [3, 17], [33, 5], [65, 40], [7, 130]] as const) {
      for (const sparsity of [0, 0.5, 0.9, 0.99, 1]) {
        yield { m, n, k, sparsity, bias: rand() < 0.5, activation: rand() < 0.5 ? 'relu' : 'none' };
      }
    }
  }
  // Large enough to be split over threads, by weight rows (one batch row, or few blocks) and by batch blocks.
  for (const [m, n, k] of [[1, 1024, 1024], [3, 300, 900], [256, 128, 1600], [40, 257, 513], [300, 70, 200]] as const) {
    for (const sparsity of [0, 0.9]) yield { m, n, k, sparsity, bias: true, activation: 'relu' };
  }
}

test('sparseGemm matches the js backend on ragged shapes and sparsities, for every kernel family and thread count', () => {
  const rand = seededRandom(31);
  const all = [...cases(rand)].map((c) => {
    const operands = makeSparseOperands(c, rand);
    const want = operands.out.slice();
    js.sparseGemm({ ...operands, m: c.m, w: js.packSparse(operands.w, c.n, c.k), activation: c.activation, out: want });
    return { c, operands, want };
  });
  forEachConfiguration(native, (config) => {
    for (const { c, operands, want } of all) {
      const w = native.packSparse(operands.w, c.n, c.k);
      const got = operands.out.slice();
      native.sparseGemm({ ...operands, m: c.m, w, activation: c.activation, out: got });
      assertClose(got, want, 1e-5, `sparseGemm ${JSON.stringify(c)} (${config})`);
    }
  });
});

test('native packSparse keeps the weights that are not ±0, and its packing serves every kernel family', () => {
  const w = native.packSparse(Float32Array.of(0, 1.5, -0, 0, NaN, 0, 0, -2), 2, 4);
  assert.deepEqual([w.backend, w.n, w.k, w.nonzeros], ['native', 2, 4, 3]);
  const a = Float32Array.of(2, 3, 5, 7);
  forEachConfiguration(native, (config) => {
    const out = new Float32Array(2);
    native.sparseGemm({ m: 1, a, aOffset: 0, lda: 4, w, out, outOffset: 0, ldo: 2 });
    assert.equal(out[0], 4.5, config);
    assert.ok(Number.isNaN(out[1]), config);
  });
});

test('native sparseGemm refuses weights it did not pack, and bad extents, with the js messages', () => {
  const weights = sparseWeights(3, 4, 0.5, seededRandom(2));
  const w = native.packSparse(weights, 3, 4);
  const base = { m: 2, a: new Float32Array(8), aOffset: 0, lda: 4, w, out: new Float32Array(6), outOffset: 0, ldo: 3 };
  assert.throws(() => native.sparseGemm({ ...base, w: js.packSparse(weights, 3, 4) }), /sparseGemm: the weights were packed by the js backend; pack them with native's packSparse/);
  assert.throws(() => native.sparseGemm({ ...base, w: { ...w, matrix: {} } as typeof w }), /sparseGemm: the weights were not packed by packSparse/);
  assert.throws(() => native.sparseGemm({ ...base, a: new Float32Array(7) }), /sparseGemm: a \[2, 4\] \(offset 0, ld 4\) needs 8 elements, has 7/);
  assert.throws(() => native.sparseGemm({ ...base, outOffset: 1 }), /sparseGemm: out \[2, 3\] \(offset 1, ld 3\) needs 7 elements, has 6/);
  assert.throws(() => native.packSparse(new Float32Array(11), 3, 4), /packSparse: w \[3, 4\] needs 12 values, got 11/);
});
