// The AVX2 + FMA kernel family: its micro-kernel and few-row products; its other routines are the portable
// ones. Micro-kernel: a 6 × 16 register tile. Twelve ymm accumulators (6 rows × 2 vectors of 8 floats) plus
// two B vectors and one broadcast fill 15 of the 16 ymm registers.
#include "gemm_kernels.h"

#if KILN_X86_KERNELS
#include "avx2.h"

namespace kiln {
namespace {

constexpr int kMr = 6;
constexpr int kNr = 16;

KILN_TARGET_AVX2 void runAvx2(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int rows, int cols,
                              float alpha, float beta, const TileEpilogue* epilogue) {
  __m256 acc[kMr][2];
#pragma GCC unroll 6
  for (int r = 0; r < kMr; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
#pragma GCC unroll 2
  for (int64_t p = 0; p < kc; ++p) {
    const __m256 b0 = _mm256_loadu_ps(b);
    const __m256 b1 = _mm256_loadu_ps(b + 8);
#pragma GCC unroll 6
    for (int r = 0; r < kMr; ++r) {
      const __m256 ar = _mm256_broadcast_ss(a + r);
      acc[r][0] = _mm256_fmadd_ps(ar, b0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(ar, b1, acc[r][1]);
    }
    a += kMr;
    b += kNr;
  }
  const __m256i mask0 = columnMask(cols);
  const __m256i mask1 = columnMask(cols - 8);
  const __m256 va = _mm256_set1_ps(alpha);
  const __m256 vb = _mm256_set1_ps(beta);
#pragma GCC unroll 6
  for (int r = 0; r < kMr; ++r) {
    if (r >= rows) break;
    float* row = c + r * ldc;
    __m256 v0 = _mm256_mul_ps(va, acc[r][0]);
    __m256 v1 = _mm256_mul_ps(va, acc[r][1]);
    if (beta != 0.0f) {
      v0 = _mm256_fmadd_ps(vb, _mm256_maskload_ps(row, mask0), v0);
      v1 = _mm256_fmadd_ps(vb, _mm256_maskload_ps(row + 8, mask1), v1);
    }
    if (epilogue != nullptr) {
      if (epilogue->rowBias != nullptr) {
        const __m256 bias = _mm256_set1_ps(epilogue->rowBias[r]);
        v0 = _mm256_add_ps(v0, bias);
        v1 = _mm256_add_ps(v1, bias);
      }
      if (epilogue->relu) {
        // Keeps lanes that are not ≤ 0 (positive or NaN); the rest become +0.
        v0 = _mm256_and_ps(_mm256_cmp_ps(v0, _mm256_setzero_ps(), _CMP_NLE_UQ), v0);
        v1 = _mm256_and_ps(_mm256_cmp_ps(v1, _mm256_setzero_ps(), _CMP_NLE_UQ), v1);
      }
    }
    _mm256_maskstore_ps(row, mask0, v0);
    _mm256_maskstore_ps(row + 8, mask1, v1);
  }
}

// M rows of A against J rows of B at a time: M · J accumulators, each B vector loaded once for all M rows.
template <int M, int J>
KILN_TARGET_AVX2 void rowDotsBlock(int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb, float* c,
                                   int64_t ldc, float alpha, float beta) {
  __m256 acc[M][J];
  for (int i = 0; i < M; ++i) {
    for (int t = 0; t < J; ++t) acc[i][t] = _mm256_setzero_ps();
  }
  const __m256i tail = columnMask(static_cast<int>(k & 7));
  for (int64_t p = 0; p < k; p += 8) {
    const bool full = p + 8 <= k;
    __m256 bv[J];
    for (int t = 0; t < J; ++t) bv[t] = full ? _mm256_loadu_ps(b + t * ldb + p) : _mm256_maskload_ps(b + t * ldb + p, tail);
    for (int i = 0; i < M; ++i) {
      const __m256 av = full ? _mm256_loadu_ps(a + i * lda + p) : _mm256_maskload_ps(a + i * lda + p, tail);
      for (int t = 0; t < J; ++t) acc[i][t] = _mm256_fmadd_ps(av, bv[t], acc[i][t]);
    }
  }
  for (int i = 0; i < M; ++i) {
    for (int t = 0; t < J; ++t) {
      float* out = c + i * ldc + t;
      const float dot = horizontalSum(acc[i][t]);
      *out = beta == 0.0f ? alpha * dot : alpha * dot + beta * *out;
    }
  }
}

template <int M>
KILN_TARGET_AVX2 void rowDotsRows(int64_t n, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb,
                                  float* c, int64_t ldc, float alpha, float beta) {
  constexpr int kJ = M <= 2 ? 4 : 2;
  int64_t j = 0;
  for (; j + kJ <= n; j += kJ) rowDotsBlock<M, kJ>(k, a, lda, b + j * ldb, ldb, c + j, ldc, alpha, beta);
  for (; j < n; ++j) rowDotsBlock<M, 1>(k, a, lda, b + j * ldb, ldb, c + j, ldc, alpha, beta);
}

void rowDotsAvx2(int m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb, float* c,
                 int64_t ldc, float alpha, float beta) {
  switch (m) {
    case 1:
      return rowDotsRows<1>(n, k, a, lda, b, ldb, c, ldc, alpha, beta);
    case 2:
      return rowDotsRows<2>(n, k, a, lda, b, ldb, c, ldc, alpha, beta);
    case 3:
      return rowDotsRows<3>(n, k, a, lda, b, ldb, c, ldc, alpha, beta);
    default:
      return rowDotsRows<4>(n, k, a, lda, b, ldb, c, ldc, alpha, beta);
  }
}

}  // namespace

const MicroKernel& avx2MicroKernel() {
  static const MicroKernel kernel{Isa::kAvx2, kMr, kNr, 120, 256, 1024, runAvx2, rowDotsAvx2, gatherPanelPortable,
                                  packRowsPortable, maxPoolPairsPortable, nullptr, nullptr, nullptr};
  return kernel;
}

}  // namespace kiln
#endif
