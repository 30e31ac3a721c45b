// AVX2 int8 micro-kernel: a 4-row tile of one 16-channel panel (two ymm halves of 8 channels). AVX2 has no
// u8 × s8 dot product that is exact (vpmaddubsw saturates), so as in the AVX-512 fallback the bytes are
// split into int16 halves and multiplied with vpmaddwd.
#include "int8_kernels.h"

#if KILN_X86_KERNELS
#include <immintrin.h>

#include <cstring>

#define KILN_TARGET_AVX2 __attribute__((target("avx2,fma")))

namespace kiln {
namespace {

// 6 accumulators, 4 weight halves, 2 A halves and the products in the 16 ymm registers.
constexpr int kMr = 3;
// The windowed maximum keeps a running maximum beside each row's accumulators: 2 rows fit.
constexpr int kMaxMr = 2;

// The 4 bytes of A at group p of a row; in the last, partial group only the bytes before k, zero-extended.
template <bool Tail>
inline int32_t loadGroup(const uint8_t* row, int64_t p, int64_t k) {
  if (Tail) {
    uint32_t v = 0;
    for (int64_t q = k - 1; q >= 4 * p; --q) v = v << 8 | row[q];
    return static_cast<int32_t>(v);
  }
  int32_t v;
  std::memcpy(&v, row + 4 * p, sizeof v);
  return v;
}

// One step over the 4 values of k in group p: the even bytes of A (zero-extended) and of w
// (sign-extended) meet in one vpmaddwd, the odd bytes in another.
template <int MR, bool Tail>
KILN_TARGET_AVX2 __attribute__((always_inline)) inline void step(__m256i (&acc)[MR][2],
                                                                  const uint8_t* const (&row)[MR], int64_t p,
                                                                  int64_t k, const int8_t* w) {
  __m256i wEven[2], wOdd[2];
  for (int h = 0; h < 2; ++h) {
    const __m256i wv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 64 * p + 32 * h));
    wEven[h] = _mm256_srai_epi16(_mm256_slli_epi16(wv, 8), 8);
    wOdd[h] = _mm256_srai_epi16(wv, 8);
  }
  const __m256i lowBytes = _mm256_set1_epi16(0x00FF);
#pragma GCC unroll 3
  for (int i = 0; i < MR; ++i) {
    const __m256i av = _mm256_set1_epi32(loadGroup<Tail>(row[i], p, k));
    const __m256i aEven = _mm256_and_si256(av, lowBytes);
    const __m256i aOdd = _mm256_srli_epi16(av, 8);
    for (int h = 0; h < 2; ++h) {
      const __m256i sums = _mm256_add_epi32(_mm256_madd_epi16(aEven, wEven[h]), _mm256_madd_epi16(aOdd, wOdd[h]));
      acc[i][h] = _mm256_add_epi32(acc[i][h], sums);
    }
  }
}

// Lanes [0, count) of 8, as the sign-bit mask maskload/maskstore take.
KILN_TARGET_AVX2 inline __m256i laneMask(int count) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(count), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// Requantizes the accumulators and stores the rows × cols outputs of the tile.
template <int MR>
KILN_TARGET_AVX2 __attribute__((always_inline)) inline void storeTile(const __m256i (&acc)[MR][2], int rows,
                                                                      int cols, const Requant& r, int64_t j0,
                                                                      void* out, int64_t ldo) {
  for (int h = 0; h < 2; ++h) {
    const int count = std::min(cols - 8 * h, 8);
    if (count <= 0) break;
    const __m256i mask = laneMask(count);
    const int64_t j = j0 + 8 * h;
    const __m256i bias = _mm256_maskload_epi32(r.bias + j, mask);
    const __m256 scale = _mm256_maskload_ps(r.scale + j, mask);
    if (r.toUint8) {
      const __m256 lo = _mm256_set1_ps(-kRequantLimit);
      const __m256 hi = _mm256_set1_ps(kRequantLimit);
      const __m256i zeroPoint = _mm256_set1_epi32(r.zeroPoint);
      const __m256i qMin = _mm256_set1_epi32(r.min);
      const __m256i qMax = _mm256_set1_epi32(r.max);
#pragma GCC unroll 3
      for (int i = 0; i < MR; ++i) {
        if (i >= rows) break;
        const __m256 f = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_add_epi32(acc[i][h], bias)), scale);
        const __m256i number = _mm256_castps_si256(_mm256_cmp_ps(f, f, _CMP_ORD_Q));
        // cvtps rounds in the MXCSR mode: ties to even unless someone changed it, as in the scalar kernel.
        __m256i q = _mm256_add_epi32(_mm256_cvtps_epi32(_mm256_min_ps(_mm256_max_ps(f, lo), hi)), zeroPoint);
        q = _mm256_and_si256(_mm256_min_epi32(_mm256_max_epi32(q, qMin), qMax), number);
        const __m128i words = _mm_packus_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
        const __m128i bytes = _mm_packus_epi16(words, words);
        uint8_t* dst = static_cast<uint8_t*>(out) + i * ldo + 8 * h;
        if (count == 8) {
          _mm_storel_epi64(reinterpret_cast<__m128i*>(dst), bytes);
        } else {
          alignas(16) uint8_t staged[16];
          _mm_store_si128(reinterpret_cast<__m128i*>(staged), bytes);
          std::memcpy(dst, staged, static_cast<size_t>(count));
        }
      }
    } else {
      const bool hasOffset = r.offset != nullptr;
      const __m256 offset = hasOffset ? _mm256_maskload_ps(r.offset + j, mask) : _mm256_setzero_ps();
#pragma GCC unroll 3
      for (int i = 0; i < MR; ++i) {
        if (i >= rows) break;
        __m256 f = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_add_epi32(acc[i][h], bias)), scale);
        if (hasOffset) f = _mm256_add_ps(f, offset);
        _mm256_maskstore_ps(static_cast<float*>(out) + i * ldo + 8 * h, mask, f);
      }
    }
  }
}

// Rows past the tile's end read the last row again (always in bounds); their results are dropped.
template <int MR>
inline void tileRows(const uint8_t* a, int64_t lda, int rows, const uint8_t* (&row)[MR]) {
  for (int i = 0; i < MR; ++i) row[i] = a + std::min(i, rows - 1) * lda;
}

// The accumulators of a tile; the partial group first: after the loop it makes GCC keep the accumulators
// in memory.
template <int MR>
KILN_TARGET_AVX2 __attribute__((always_inline)) inline void accumulate(__m256i (&acc)[MR][2],
                                                                        const uint8_t* const (&row)[MR], int64_t k,
                                                                        const int8_t* w) {
  for (int i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = _mm256_setzero_si256();
  const int64_t groups = k / 4;
  if (k % 4 != 0) step<MR, true>(acc, row, groups, k, w);
  for (int64_t p = 0; p < groups; ++p) step<MR, false>(acc, row, p, k, w);
}

KILN_TARGET_AVX2 void runAvx2(const uint8_t* a, int64_t lda, int rows, int64_t k, const int8_t* w, int64_t, int cols,
                              const Requant& r, int64_t j0, void* out, int64_t ldo) {
  const uint8_t* row[kMr];
  tileRows(a, lda, rows, row);
  __m256i acc[kMr][2];
  accumulate(acc, row, k, w);
  storeTile(acc, rows, cols, r, j0, out, ldo);
}

// A tile of windowed maxima: the rows of window position t are a + t · lda, window · lda apart.
KILN_TARGET_AVX2 void maxTile(const uint8_t* a, int64_t lda, int rows, int64_t window, int64_t k, const int8_t* w,
                              int cols, const Requant& r, int64_t j0, uint8_t* out, int64_t ldo) {
  const uint8_t* row[kMaxMr];
  tileRows(a, window * lda, rows, row);
  __m256i best[kMaxMr][2];
  accumulate(best, row, k, w);
  for (int64_t t = 1; t < window; ++t) {
    tileRows(a + t * lda, window * lda, rows, row);
    __m256i acc[kMaxMr][2];
    accumulate(acc, row, k, w);
    for (int i = 0; i < kMaxMr; ++i) {
      for (int h = 0; h < 2; ++h) best[i][h] = _mm256_max_epi32(best[i][h], acc[i][h]);
    }
  }
  storeTile(best, rows, cols, r, j0, out, ldo);
}

void runMaxAvx2(const uint8_t* a, int64_t lda, int64_t rows, int64_t window, int64_t k, const int8_t* w, int64_t,
                int cols, const Requant& r, int64_t j0, uint8_t* out, int64_t ldo) {
  for (int64_t i = 0; i < rows; i += kMaxMr) {
    const int tileRowCount = static_cast<int>(std::min<int64_t>(kMaxMr, rows - i));
    maxTile(a + i * window * lda, lda, tileRowCount, window, k, w, cols, r, j0, out + i * ldo, ldo);
  }
}

}  // namespace

const Int8MicroKernel& int8Avx2MicroKernel() {
  static const Int8MicroKernel kernel{Int8Isa::kAvx2, kMr, kInt8PanelWidth, runAvx2, runMaxAvx2, kMaxMr};
  return kernel;
}

}  // namespace kiln
#endif
