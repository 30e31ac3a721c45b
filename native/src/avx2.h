// Helpers shared by the AVX2 kernel files. Only files whose functions carry KILN_TARGET_AVX2 include it;
// everything here has internal linkage, so no copy compiled for AVX2 can stand in for a portable one.
#pragma once

#include "x86.h"

#if KILN_X86_KERNELS
#include <immintrin.h>

#define KILN_TARGET_AVX2 __attribute__((target("avx2,fma")))

namespace kiln {
namespace {

// Lanes [0, cols) of an 8-float vector, as the sign-bit mask maskload/maskstore take.
KILN_TARGET_AVX2 inline __m256i columnMask(int cols) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(cols), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// The sum of the 8 lanes, by halves.
KILN_TARGET_AVX2 inline float horizontalSum(__m256 v) {
  const __m128 half = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 quarter = _mm_add_ps(half, _mm_movehl_ps(half, half));
  return _mm_cvtss_f32(_mm_add_ss(quarter, _mm_movehdup_ps(quarter)));
}

}  // namespace
}  // namespace kiln
#endif
