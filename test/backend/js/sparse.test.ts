import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gemm } from '../../../src/backend/js/gemm.js';
import { packSparse, sparseGemm } from '../../../src/backend/js/sparse.js';
import { assertClose, seededRandom } from '../../helpers/arrays.js';
import { makeSparseOperands, sparseWeights, type SparseCase } from '../../helpers/kernel-cases.js';

test('packSparse keeps exactly the weights that are not ±0, NaN included', () => {
  const w = Float32Array.of(0, 1.5, -0, 0, NaN, 0, 0, -2);
  const packed = packSparse(w, 2, 4);
  assert.deepEqual([packed.n, packed.k, packed.nonzeros], [2, 4, 3]);
  const empty = packSparse(new Float32Array(12), 3, 4);
  assert.equal(empty.nonzeros, 0);
});

test('sparseGemm equals the dense gemm with the bias and ReLU epilogue, on ragged shapes and any sparsity', () => {
  const rand = seededRandom(5);
  for (const m of [1, 3, 9]) {
    for (const [n, k] of [[1, 1], [5, 7], [17, 33], [8, 100]] as const) {
      for (const sparsity of [0, 0.5, 0.9, 0.99, 1]) {
        const c: SparseCase = { m, n, k, sparsity, bias: rand() < 0.5, activation: rand() < 0.5 ? 'relu' : 'none' };
        const { w, a, aOffset, lda, bias, out, outOffset, ldo } = makeSparseOperands(c, rand);
        const want = out.slice();
        gemm({
          m, n, k, a, aOffset, lda, transA: false, b: w, bOffset: 0, ldb: k, transB: true,
          c: want, cOffset: outOffset, ldc: ldo, alpha: 1, beta: 0, bias, activation: c.activation,
        });
        const got = out.slice();
        sparseGemm({ m, a, aOffset, lda, w: packSparse(w, n, k), bias, activation: c.activation, out: got, outOffset, ldo });
        assertClose(got, want, 1e-5, `sparseGemm ${JSON.stringify(c)}`);
      }
    }
  }
});

test('sparseGemm passes a NaN weight on, and ignores an infinite activation where the weight is zero', () => {
  const w = Float32Array.of(NaN, 0, 0, 2);
  const a = Float32Array.of(1, Infinity);
  const out = new Float32Array(2);
  sparseGemm({ m: 1, a, aOffset: 0, lda: 2, w: packSparse(w, 2, 2), out, outOffset: 0, ldo: 2 });
  assert.ok(Number.isNaN(out[0]));
  assert.equal(out[1], Infinity);
  const zeroFirst = packSparse(Float32Array.of(0, 3), 1, 2);
  sparseGemm({ m: 1, a: Float32Array.of(Infinity, 2), aOffset: 0, lda: 2, w: zeroFirst, out, outOffset: 0, ldo: 1 });
  assert.equal(out[0], 6);
});

test('packSparse and sparseGemm name the argument at fault and the shape it needs', () => {
  const w = packSparse(sparseWeights(3, 4, 0.5, seededRandom(1)), 3, 4);
  const base = { m: 2, a: new Float32Array(8), aOffset: 0, lda: 4, w, out: new Float32Array(6), outOffset: 0, ldo: 3 };
  assert.throws(() => packSparse(new Float32Array(11), 3, 4), /packSparse: w \[3, 4\] needs 12 values, got 11/);
  assert.throws(() => packSparse(new Float64Array(12) as unknown as Float32Array, 3, 4), /packSparse: w must be a Float32Array/);
  assert.throws(() => packSparse(new Float32Array(12), 3.5, 4), /packSparse: n must be an integer ≥ 0, got 3.5/);
  assert.throws(() => sparseGemm({ ...base, a: new Float32Array(7) }), /sparseGemm: a \[2, 4\] \(offset 0, ld 4\) needs 8 elements, has 7/);
  assert.throws(() => sparseGemm({ ...base, lda: 3 }), /sparseGemm: leading dimension of a is 3 but its rows have 4 columns/);
  assert.throws(() => sparseGemm({ ...base, out: new Float32Array(5) }), /sparseGemm: out \[2, 3\] \(offset 0, ld 3\) needs 6 elements, has 5/);
  assert.throws(() => sparseGemm({ ...base, bias: new Float32Array(2) }), /sparseGemm: bias needs 3 values \(one per output feature\), got 2/);
  assert.throws(() => sparseGemm({ ...base, w: { ...w, backend: 'native' } }), /sparseGemm: the weights were packed by the native backend; pack them with js's packSparse/);
  assert.throws(() => sparseGemm({ ...base, activation: 'gelu' as 'relu' }), /sparseGemm: activation must be 'none' or 'relu', got 'gelu'/);
});
