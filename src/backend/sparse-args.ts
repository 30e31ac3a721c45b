/**
 * Argument checks of the sparse-weight kernels, shared by every backend so that an error reads the same
 * whichever backend runs, and so that no backend reads or writes outside its arrays.
 */
import type { PackedSparseMatrix, SparseGemmArgs } from './backend.js';
import { checkCount, checkMatrix, failKernel } from './kernel-args.js';

/** The largest n, k or n · k: column indices and row starts are int32 in every backend. */
const MAX_SPARSE_EXTENT = 0x7fffffff;

/** checkCount, and no larger than MAX_SPARSE_EXTENT. */
function checkExtent(kernel: string, name: string, value: number): void {
  checkCount(kernel, name, value);
  if (value > MAX_SPARSE_EXTENT) failKernel(kernel, `${name} = ${value} exceeds ${MAX_SPARSE_EXTENT}`);
}

/** Checks the weights to pack: a Float32Array holding w[n, k]. */
export function checkPackSparse(w: Float32Array, n: number, k: number): void {
  if (!(w instanceof Float32Array)) throw new TypeError('packSparse: w must be a Float32Array');
  checkExtent('packSparse', 'n', n);
  checkExtent('packSparse', 'k', k);
  if (n * k > MAX_SPARSE_EXTENT) failKernel('packSparse', `w [${n}, ${k}] has more than ${MAX_SPARSE_EXTENT} values`);
  if (w.length < n * k) failKernel('packSparse', `w [${n}, ${k}] needs ${n * k} values, got ${w.length}`);
}

/** Checks that weights were packed by this backend. */
export function checkPackedSparse(w: PackedSparseMatrix, backend: string): void {
  if (w.backend !== backend) failKernel('sparseGemm', `the weights were packed by the ${w.backend} backend; pack them with ${backend}'s packSparse`);
}

/** Checks every extent of a sparse product: a [m, k] and out [m, n] for weights [n, k], a bias of n values. */
export function checkSparseGemm(args: SparseGemmArgs, backend: string): void {
  const { w } = args;
  checkPackedSparse(w, backend);
  checkExtent('sparseGemm', 'm', args.m);
  for (const [name, array] of [['a', args.a], ['out', args.out], ['bias', args.bias ?? null]] as const) {
    if (array !== null && !(array instanceof Float32Array)) throw new TypeError(`sparseGemm: ${name} must be a Float32Array`);
  }
  checkMatrix('sparseGemm', 'a', args.a.length, args.aOffset, args.lda, args.m, w.k);
  checkMatrix('sparseGemm', 'out', args.out.length, args.outOffset, args.ldo, args.m, w.n);
  const bias = args.bias ?? null;
  if (bias !== null && bias.length < w.n) failKernel('sparseGemm', `bias needs ${w.n} values (one per output feature), got ${bias.length}`);
  const activation = args.activation ?? 'none';
  if (activation !== 'none' && activation !== 'relu') failKernel('sparseGemm', `activation must be 'none' or 'relu', got '${String(activation)}'`);
}
