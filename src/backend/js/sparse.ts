/**
 * Reference sparse-weight kernels for the `js` backend: weights in compressed sparse rows, and the product
 * of `Backend.sparseGemm` summed in float64 over each row's nonzeros, the oracle faster backends are
 * tested against.
 */
import type { PackedSparseMatrix, SparseGemmArgs } from '../backend.js';
import { checkPackSparse, checkSparseGemm } from '../sparse-args.js';

/**
 * The js backend's packing, compressed sparse rows: the nonzeros of row j are `values[rowStart[j]]` up to
 * `values[rowStart[j + 1]]`, in column order, at the columns `columns[…]`.
 */
class JsPackedSparse implements PackedSparseMatrix {
  readonly backend = 'js';
  readonly nonzeros: number;
  constructor(
    readonly n: number,
    readonly k: number,
    readonly rowStart: Int32Array,
    readonly columns: Int32Array,
    readonly values: Float32Array,
  ) {
    this.nonzeros = values.length;
  }
}

export function packSparse(w: Float32Array, n: number, k: number): PackedSparseMatrix {
  checkPackSparse(w, n, k);
  let nonzeros = 0;
  for (let i = 0; i < n * k; i++) if (w[i] !== 0) nonzeros++;
  const rowStart = new Int32Array(n + 1);
  const columns = new Int32Array(nonzeros);
  const values = new Float32Array(nonzeros);
  let at = 0;
  for (let j = 0; j < n; j++) {
    for (let p = 0; p < k; p++) {
      const v = w[j * k + p]!;
      // NaN is kept (it is not 0), so the product shows it as a dense one would.
      if (v === 0) continue;
      columns[at] = p;
      values[at++] = v;
    }
    rowStart[j + 1] = at;
  }
  return new JsPackedSparse(n, k, rowStart, columns, values);
}

export function sparseGemm(args: SparseGemmArgs): void {
  checkSparseGemm(args, 'js');
  const { m, a, aOffset, lda, out, outOffset, ldo } = args;
  const { n, rowStart, columns, values } = args.w as JsPackedSparse;
  const bias = args.bias ?? null;
  const relu = args.activation === 'relu';
  for (let i = 0; i < m; i++) {
    const aRow = aOffset + i * lda;
    const outRow = outOffset + i * ldo;
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = rowStart[j]!; p < rowStart[j + 1]!; p++) sum += values[p]! * a[aRow + columns[p]!]!;
      let v = bias === null ? sum : sum + bias[j]!;
      // Same rule as the unary relu: NaN stays NaN, −0 becomes +0.
      if (relu && !(v > 0) && !Number.isNaN(v)) v = 0;
      out[outRow + j] = v;
    }
  }
}
