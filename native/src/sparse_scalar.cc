// Portable sparse kernels: plain C++ that any compiler vectorizes for its baseline (SSE2, NEON); the block
// product's inner loop runs over consecutive batch rows.
#include <algorithm>

#include "sparse_kernels.h"

namespace kiln {
namespace {

void dotsScalar(const SparseMatrix& w, int64_t j0, int64_t j1, const float* a, float* out) {
  const int32_t* columns = w.columns.data();
  const float* values = w.values.data();
  for (int64_t j = j0; j < j1; ++j) {
    const int32_t end = w.rowStart[j + 1];
    // Four partial sums, so that four additions are in flight rather than one.
    float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
    int32_t p = w.rowStart[j];
    for (; p + 4 <= end; p += 4) {
      s0 += values[p] * a[columns[p]];
      s1 += values[p + 1] * a[columns[p + 1]];
      s2 += values[p + 2] * a[columns[p + 2]];
      s3 += values[p + 3] * a[columns[p + 3]];
    }
    for (; p < end; ++p) s0 += values[p] * a[columns[p]];
    out[j] = (s0 + s1) + (s2 + s3);
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
