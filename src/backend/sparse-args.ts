/**
 * Argument checks of the sparse-weight kernels, shared by every backend so that an error reads the same
 * whichever backend runs, and so that no backend reads or writes outside its arrays.
 */
import type { PackedSparseMatrix, SparseGemmArgs } from './backend.js';

/** The largest n, k or n · k: column indices and row starts are int32 in every backend. */
const MAX_SPARSE_EXTENT = 0x7fffffff;

function fail(kernel: string, problem: string): never {
  throw new RangeError(`${kernel}: ${problem}`);
}

function checkCount(kernel: string, name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) fail(kernel, `${name} must be an integer ≥ 0, got ${value}`);
  if (value > MAX_SPARSE_EXTENT) fail(kernel, `${name} = ${value} exceeds ${MAX_SPARSE_EXTENT}`);
}

/** Checks the weights to pack: a Float32Array holding w[n, k]. */
export function checkPackSparse(w: Float32Array, n: number, k: number): void {
  if (!(w instanceof Float32Array)) throw new TypeError('packSparse: w must be a Float32Array');
  checkCount('packSparse', 'n', n);
  checkCount('packSparse', 'k', k);
  if (n * k > MAX_SPARSE_EXTENT) fail('packSparse', `w [${n}, ${k}] has more than ${MAX_SPARSE_EXTENT} values`);
  if (w.length < n * k) fail('packSparse', `w [${n}, ${k}] needs ${n * k} values, got ${w.length}`);
}

function checkMatrix(name: string, length: number, offset: number, ld: number, rows: number, cols: number): void {
  checkCount('sparseGemm', `${name} offset`, offset);
  if (!Number.isInteger(ld) || ld < cols) fail('sparseGemm', `leading dimension of ${name} is ${ld} but its rows have ${cols} columns`);
  if (rows === 0 || cols === 0) return;
  const end = offset + (rows - 1) * ld + cols;
  if (end > length) fail('sparseGemm', `${name} [${rows}, ${cols}] (offset ${offset}, ld ${ld}) needs ${end} elements, has ${length}`);
}

/** Checks that weights were packed by this backend. */
export function checkPackedSparse(w: PackedSparseMatrix, backend: string): void {
  if (w.backend !== backend) fail('sparseGemm', `the weights were packed by the ${w.backend} backend; pack them with ${backend}'s packSparse`);
}

/** Checks every extent of a sparse product: a [m, k] and out [m, n] for weights [n, k], a bias of n values. */
export function checkSparseGemm(args: SparseGemmArgs, backend: string): void {
  const { w } = args;
  checkPackedSparse(w, backend);
  checkCount('sparseGemm', 'm', args.m);
  for (const [name, array] of [['a', args.a], ['out', args.out], ['bias', args.bias ?? null]] as const) {
    if (array !== null && !(array instanceof Float32Array)) throw new TypeError(`sparseGemm: ${name} must be a Float32Array`);
  }
  checkMatrix('a', args.a.length, args.aOffset, args.lda, args.m, w.k);
  checkMatrix('out', args.out.length, args.outOffset, args.ldo, args.m, w.n);
  const bias = args.bias ?? null;
  if (bias !== null && bias.length < w.n) fail('sparseGemm', `bias needs ${w.n} values (one per output feature), got ${bias.length}`);
  const activation = args.activation ?? 'none';
  if (activation !== 'none' && activation !== 'relu') fail('sparseGemm', `activation must be 'none' or 'relu', got '${String(activation)}'`);
}
