// Products with sparse weights: out[m, n] = act(a[m, k] · w[n, k]ᵀ + bias), the affine map of a pruned
// Linear layer, costing in proportion to the weights' nonzeros; spread over a thread pool.
#pragma once

#include <cstdint>

#include "epilogue.h"
#include "gemm_kernels.h"
#include "sparse_kernels.h"
#include "thread_pool.h"

namespace kiln {

// Packs row-major w[n, k], keeping every value that is not ±0 (NaN included).
SparseMatrix packSparse(const float* w, int64_t n, int64_t k);

// One product: a and out are row-major with row strides lda and ldo; bias holds n values, or is null.
struct SparseProduct {
  int64_t m;
  const float* a;
  int64_t lda;
  const SparseMatrix* w;
  const float* bias;
  Activation activation;
  float* out;
  int64_t ldo;
};

// Computes the product with the sparse kernels of one family and the transposition (packRows) of the dense
// kernel of the same family, split over the pool when it is large enough.
void sparseGemm(const SparseKernels& kernels, const MicroKernel& dense, ThreadPool& pool, const SparseProduct& pr);

}  // namespace kiln
