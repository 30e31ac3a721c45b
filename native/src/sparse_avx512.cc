// The AVX-512 sparse kernels. One batch row: 16 nonzeros of a weight row at a time, their activations
// gathered by column. Blocks of up to 64 batch rows: each nonzero broadcast against the four vectors of its
// column's transposed activations, alternate nonzeros into two sets of accumulators so that eight FMAs are
// in flight.
#include "sparse_kernels.h"

#if KILN_X86_KERNELS
#include "avx512.h"

namespace kiln {
namespace {

constexpr int kLanes = 16;
constexpr int kMaxVectors = 4;

KILN_TARGET_AVX512 void dotsAvx512(const SparseMatrix& w, int64_t j0, int64_t j1, const float* a, float* out) {
  const int32_t* columns = w.columns.data();
  const float* values = w.values.data();
  for (int64_t j = j0; j < j1; ++j) {
    __m512 acc = _mm512_setzero_ps();
    int64_t p = w.rowStart[j];
    const int64_t end = w.rowStart[j + 1];
    for (; p + kLanes <= end; p += kLanes) {
      const __m512i index = _mm512_loadu_si512(columns + p);
      const __m512 x = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), kAllLanes, index, a, 4);
      acc = _mm512_fmadd_ps(_mm512_loadu_ps(values + p), x, acc);
    }
    if (p < end) {
      const __mmask16 mask = columnMask(static_cast<int>(end - p));
      const __m512i index = _mm512_maskz_loadu_epi32(mask, columns + p);
      const __m512 x = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), mask, index, a, 4);
      acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask, values + p), x, acc);
    }
    out[j] = horizontalSum(acc);
  }
}

template <int V>
KILN_TARGET_AVX512 void blockVectors(const SparseMatrix& w, int64_t j0, int64_t j1, const float* b, float* t) {
  constexpr int64_t kWidth = V * kLanes;
  const int32_t* columns = w.columns.data();
  const float* values = w.values.data();
  for (int64_t j = j0; j < j1; ++j) {
    __m512 even[V], odd[V];
    for (int v = 0; v < V; ++v) even[v] = odd[v] = _mm512_setzero_ps();
    int64_t p = w.rowStart[j];
    const int64_t end = w.rowStart[j + 1];
    for (; p + 2 <= end; p += 2) {
      const float* first = b + columns[p] * kWidth;
      const float* second = b + columns[p + 1] * kWidth;
      const __m512 v0 = _mm512_set1_ps(values[p]);
      const __m512 v1 = _mm512_set1_ps(values[p + 1]);
      for (int v = 0; v < V; ++v) {
        even[v] = _mm512_fmadd_ps(v0, _mm512_loadu_ps(first + v * kLanes), even[v]);
        odd[v] = _mm512_fmadd_ps(v1, _mm512_loadu_ps(second + v * kLanes), odd[v]);
      }
    }
    if (p < end) {
      const float* last = b + columns[p] * kWidth;
      const __m512 v0 = _mm512_set1_ps(values[p]);
      for (int v = 0; v < V; ++v) even[v] = _mm512_fmadd_ps(v0, _mm512_loadu_ps(last + v * kLanes), even[v]);
    }
    float* row = t + (j - j0) * kWidth;
    for (int v = 0; v < V; ++v) _mm512_storeu_ps(row + v * kLanes, _mm512_add_ps(even[v], odd[v]));
  }
}

void blockAvx512(const SparseMatrix& w, int64_t j0, int64_t j1, const float* b, int width, float* t) {
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

const SparseKernels& avx512SparseKernels() {
  static const SparseKernels kernels{Isa::kAvx512, kLanes, kMaxVectors * kLanes, dotsAvx512, blockAvx512};
  return kernels;
}

}  // namespace kiln
#endif
