// Portable sparse kernels: plain C++ that any compiler vectorizes for its baseline (SSE2, NEON); the block
// product's inner loop runs over consecutive batch rows.
#include <algorithm>

#include "sparse_kernels.h"

namespace kiln {
namespace {

void dotsScalar(const SparseMatrix& w, int64_t j0, int64_t j1, const float* a, int64_t lda, int rows, float* out,
                int64_t ldo) {
  const int32_t* columns = w.columns.data();
  const float* values = w.values.data();
  for (int64_t j = j0; j < j1; ++j) {
    for (int i = 0; i < rows; ++i) {
      const float* row = a + i * lda;
      float sum = 0.0f;
      for (int32_t p = w.rowStart[j]; p < w.rowStart[j + 1]; ++p) sum += values[p] * row[columns[p]];
      out[i * ldo + j] = sum;
    }
  }
}

void blockScalar(const SparseMatrix& w, int64_t j0, int64_t j1, const float* b, int width, float* t) {
  for (int64_t j = j0; j < j1; ++j) {
    float* acc = t + (j - j0) * width;
    std::fill(acc, acc + width, 0.0f);
    for (int32_t p = w.rowStart[j]; p < w.rowStart[j + 1]; ++p) {
      const float v = w.values[p];
      const float* row = b + static_cast<int64_t>(w.columns[p]) * width;
      for (int c = 0; c < width; ++c) acc[c] += v * row[c];
    }
  }
}

}  // namespace

const SparseKernels& scalarSparseKernels() {
  static const SparseKernels kernels{Isa::kScalar, 4, 16, dotsScalar, blockScalar};
  return kernels;
}

}  // namespace kiln
