// The AVX2 + FMA sparse kernels: those of the AVX-512 family at half the width. One batch row: 8 nonzeros of
// a weight row at a time, their activations gathered by column. Blocks of up to 32 batch rows: each
// nonzero broadcast against the four vectors of its column's transposed activations, alternate nonzeros into
// two sets of accumulators (eight of the sixteen ymm registers).
#include "sparse_kernels.h"

#if KILN_X86_KERNELS
#include "avx2.h"

namespace kiln {
namespace {

constexpr int kLanes = 8;
constexpr int kMaxVectors = 4;

KILN_TARGET_AVX2 void dotsAvx2(const SparseMatrix& w, int64_t j0, int64_t j1, const float* a, float* out) {
  const int32_t* columns = w.columns.data();
  const float* values = w.values.data();
  for (int64_t j = j0; j < j1; ++j) {
    __m256 acc = _mm256_setzero_ps();
    int64_t p = w.rowStart[j];
    const int64_t end = w.rowStart[j + 1];
    for (; p + kLanes <= end; p += kLanes) {
      const __m256i index = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(columns + p));
      acc = _mm256_fmadd_ps(_mm256_loadu_ps(values + p), _mm256_i32gather_ps(a, index, 4), acc);
    }
    if (p < end) {
      const __m256i mask = columnMask(static_cast<int>(end - p));
      const __m256i index = _mm256_maskload_epi32(columns + p, mask);
      const __m256 x = _mm256_mask_i32gather_ps(_mm256_setzero_ps(), a, index, _mm256_castsi256_ps(mask), 4);
      acc = _mm256_fmadd_ps(_mm256_maskload_ps(values + p, mask), x, acc);
    }
    out[j] = horizontalSum(acc);
  }
}

template <int V>
KILN_TARGET_AVX2 void blockVectors(const SparseMatrix& w, int64_t j0, int64_t j1, const float* b, float* t) {
  constexpr int64_t kWidth = V * kLanes;
  const int32_t* columns = w.columns.data();
  const float* values = w.values.data();
  for (int64_t j = j0; j < j1; ++j) {
    __m256 even[V], odd[V];
    for (int v = 0; v < V; ++v) even[v] = odd[v] = _mm256_setzero_ps();
    int64_t p = w.rowStart[j];
    const int64_t end = w.rowStart[j + 1];
    for (; p + 2 <= end; p += 2) {
      const float* first = b + columns[p] * kWidth;
      const float* second = b + columns[p + 1] * kWidth;
      const __m256 v0 = _mm256_broadcast_ss(values + p);
      const __m256 v1 = _mm256_broadcast_ss(values + p + 1);
      for (int v = 0; v < V; ++v) {
        even[v] = _mm256_fmadd_ps(v0, _mm256_loadu_ps(first + v * kLanes), even[v]);
        odd[v] = _mm256_fmadd_ps(v1, _mm256_loadu_ps(second + v * kLanes), odd[v]);
      }
    }
    if (p < end) {
      const float* last = b + columns[p] * kWidth;
      const __m256 v0 = _mm256_broadcast_ss(values + p);
      for (int v = 0; v < V; ++v) even[v] = _mm256_fmadd_ps(v0, _mm256_loadu_ps(last + v * kLanes), even[v]);
    }
    float* row = t + (j - j0) * kWidth;
    for (int v = 0; v < V; ++v) _mm256_storeu_ps(row + v * kLanes, _mm256_add_ps(even[v], odd[v]));
  }
}

void blockAvx2(const SparseMatrix& w, int64_t j0, int64_t j1, const float* b, int width, float* t) {
  switch (width / kLanes) {
    case 1:
      return blockVectors<1>(w, j0, j1, b, t);
    case 2:
      return blockVectors<2>(w, j0, j1, b, t);
    case 3:
      return blockVectors<3>(w, j0, j1, b, t);
    default:
      return blockVectors<kMaxVectors>(w, j0, j1, b, t);
  }
}

}  // namespace

const SparseKernels& avx2SparseKernels() {
  static const SparseKernels kernels{Isa::kAvx2, kLanes, kMaxVectors * kLanes, dotsAvx2, blockAvx2};
  return kernels;
}

}  // namespace kiln
#endif
