// AVX-512 micro-kernel: an 8 × 32 register tile. Sixteen zmm accumulators (8 rows × 2 vectors of 16 floats)
// hide the FMA latency on both FMA pipes; each k step loads two vectors of B and broadcasts eight A values.
#include "gemm_kernels.h"

#if KILN_X86_KERNELS
#include <immintrin.h>

#define KILN_TARGET_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq")))

namespace kiln {
namespace {

constexpr int kMr = 8;
constexpr int kNr = 32;

KILN_TARGET_AVX512 inline __mmask16 columnMask(int cols) {
  if (cols <= 0) return 0;
  return cols >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << cols) - 1);
}

KILN_TARGET_AVX512 void runAvx512(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int rows,
                                  int cols, float alpha, float beta) {
  __m512 acc[kMr][2];
#pragma GCC unroll 8
  for (int r = 0; r < kMr; ++r) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
#pragma GCC unroll 2
  for (int64_t p = 0; p < kc; ++p) {
    const __m512 b0 = _mm512_loadu_ps(b);
    const __m512 b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 8
    for (int r = 0; r < kMr; ++r) {
      const __m512 ar = _mm512_set1_ps(a[r]);
      acc[r][0] = _mm512_fmadd_ps(ar, b0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(ar, b1, acc[r][1]);
    }
    a += kMr;
    b += kNr;
  }
  const __mmask16 mask0 = columnMask(cols);
  const __mmask16 mask1 = columnMask(cols - 16);
  const __m512 va = _mm512_set1_ps(alpha);
  const __m512 vb = _mm512_set1_ps(beta);
#pragma GCC unroll 8
  for (int r = 0; r < kMr; ++r) {
    if (r >= rows) break;
    float* row = c + r * ldc;
    __m512 v0 = _mm512_mul_ps(va, acc[r][0]);
    __m512 v1 = _mm512_mul_ps(va, acc[r][1]);
    if (beta != 0.0f) {
      v0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(mask0, row), v0);
      v1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(mask1, row + 16), v1);
    }
    _mm512_mask_storeu_ps(row, mask0, v0);
    _mm512_mask_storeu_ps(row + 16, mask1, v1);
  }
}

}  // namespace

const MicroKernel& avx512MicroKernel() {
  static const MicroKernel kernel{Isa::kAvx512, kMr, kNr, 128, 256, 1024, runAvx512};
  return kernel;
}

}  // namespace kiln
#endif
