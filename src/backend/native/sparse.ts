/**
 * The native backend's sparse-weight kernels: weights packed into compressed sparse rows held by the addon,
 * and their product by gathered dot products (a batch of one row) or by transposed blocks of the batch
 * (AVX-512, AVX2 or portable C++, on the thread pool). Arguments go through the shared checks of
 * sparse-args.ts first, so errors read as they do on the js backend.
 */
import type { Backend, PackedSparseMatrix } from '../backend.js';
import { checkPackSparse, checkSparseGemm } from '../sparse-args.js';
import type { NativeAddon, NativeSparseMatrix } from './addon.js';

/** Weights packed by the native backend: one layout for every kernel family, so setIsa keeps them usable. */
export class NativePackedSparse implements PackedSparseMatrix {
  readonly backend = 'native';
  constructor(
    readonly n: number,
    readonly k: number,
    readonly nonzeros: number,
    /** The addon's packing (see NativeAddon.packSparse). */
    readonly matrix: NativeSparseMatrix,
  ) {}
}

/** The sparse kernels of the Backend interface. */
export type SparseKernels = Pick<Backend, 'packSparse' | 'sparseGemm'>;

/** The sparse kernels over a loaded addon. */
export function nativeSparse(addon: NativeAddon): SparseKernels {
  return {
    packSparse(w, n, k) {
      checkPackSparse(w, n, k);
      const { matrix, nonzeros } = addon.packSparse(w, n, k);
      return new NativePackedSparse(n, k, nonzeros, matrix);
    },

    sparseGemm(args) {
      checkSparseGemm(args, 'native');
      addon.sparseGemm(
        args.m, args.a, args.aOffset, args.lda,
        (args.w as NativePackedSparse).matrix,
        args.bias ?? null, args.activation ?? 'none',
        args.out, args.outOffset, args.ldo,
      );
    },
  };
}
