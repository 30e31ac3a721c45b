// Helpers shared by the AVX-512 kernel files. Only files whose functions carry KILN_TARGET_AVX512 include
// it; everything here has internal linkage, so no copy compiled for AVX-512 can stand in for a portable one.
#pragma once

#include "x86.h"

#if KILN_X86_KERNELS
#include <immintrin.h>

#define KILN_TARGET_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq")))

namespace kiln {
namespace {

// Lanes [0, cols) of a 16-float vector.
KILN_TARGET_AVX512 inline __mmask16 columnMask(int cols) {
  if (cols <= 0) return 0;
  return cols >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << cols) - 1);
}

// GCC 12's unmasked unpacks and shuffles (and _mm512_reduce_add_ps) read an undefined vector that trips
// -Wuninitialized; their all-lanes masked forms are the same instructions.
constexpr __mmask16 kAllLanes = 0xFFFF;

KILN_TARGET_AVX512 inline __m512 unpackLow(__m512 a, __m512 b) { return _mm512_mask_unpacklo_ps(a, kAllLanes, a, b); }
KILN_TARGET_AVX512 inline __m512 unpackHigh(__m512 a, __m512 b) { return _mm512_mask_unpackhi_ps(a, kAllLanes, a, b); }

template <int kImm>
KILN_TARGET_AVX512 inline __m512 shuffleLanes(__m512 a, __m512 b) {
  return _mm512_mask_shuffle_f32x4(a, kAllLanes, a, b, kImm);
}

// The sum of the 16 lanes, by halves.
KILN_TARGET_AVX512 inline float horizontalSum(__m512 v) {
  v = _mm512_add_ps(v, shuffleLanes<_MM_SHUFFLE(1, 0, 3, 2)>(v, v));
  v = _mm512_add_ps(v, shuffleLanes<_MM_SHUFFLE(2, 3, 0, 1)>(v, v));
  v = _mm512_add_ps(v, _mm512_mask_permute_ps(v, kAllLanes, v, _MM_SHUFFLE(1, 0, 3, 2)));
  v = _mm512_add_ps(v, _mm512_mask_permute_ps(v, kAllLanes, v, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm512_cvtss_f32(v);
}

// best = v where v > best or v is NaN: one step of pool2d's fold, lane by lane. max(v, best) is v > best ? v :
// best, which leaves only a NaN v to put in.
KILN_TARGET_AVX512 inline __m512 foldMax(__m512 best, __m512 v) {
  const __m512 larger = _mm512_mask_max_ps(v, kAllLanes, v, best);
  return _mm512_mask_mov_ps(larger, _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q), v);
}

// Even and odd lanes of two vectors (32 consecutive floats): the left and right columns of 16 pooling
// windows, for _mm512_permutex2var_ps.
KILN_TARGET_AVX512 inline __m512i evenLanes() {
  return _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
}

KILN_TARGET_AVX512 inline __m512i oddLanes() {
  return _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
}

}  // namespace
}  // namespace kiln
#endif
