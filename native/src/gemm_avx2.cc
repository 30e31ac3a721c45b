// AVX2 + FMA micro-kernel: a 6 × 16 register tile. Twelve ymm accumulators (6 rows × 2 vectors of 8 floats)
// plus two B vectors and one broadcast fill 15 of the 16 ymm registers.
#include "gemm_kernels.h"

#if KILN_X86_KERNELS
#include <immintrin.h>

#define KILN_TARGET_AVX2 __attribute__((target("avx2,fma")))

namespace kiln {
namespace {

constexpr int kMr = 6;
constexpr int kNr = 16;

// Lanes [0, cols) of an 8-float vector, as the sign-bit mask maskload/maskstore take.
KILN_TARGET_AVX2 inline __m256i columnMask(int cols) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(cols), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

KILN_TARGET_AVX2 void runAvx2(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int rows, int cols,
                              float alpha, float beta) {
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
    _mm256_maskstore_ps(row, mask0, v0);
    _mm256_maskstore_ps(row + 8, mask1, v1);
  }
}

}  // namespace

const MicroKernel& avx2MicroKernel() {
  static const MicroKernel kernel{Isa::kAvx2, kMr, kNr, 120, 256, 1024, runAvx2};
  return kernel;
}

}  // namespace kiln
#endif
