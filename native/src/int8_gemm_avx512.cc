// AVX-512 int8 micro-kernels: an MR-row tile of up to four 16-channel vectors. Each step over 4 values of
// k broadcasts 4 bytes of every A row and multiplies them by one 64-byte row of each weight panel. With
// VNNI one vpdpbusd does that (u8 × s8, summed exactly into int32); without it the bytes are split into
// int16 halves and multiplied with vpmaddwd, which is exact too (vpmaddubsw would saturate).
#include "int8_kernels.h"

#if KILN_X86_KERNELS
#include <immintrin.h>

// GCC 12 takes the _mm512_undefined_* placeholders inside its own intrinsics for uninitialized values.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <cstring>

#define KILN_TARGET_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq")))
#define KILN_TARGET_AVX512_VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni")))

namespace kiln {
namespace {

// VNNI: 6 rows × 4 vectors = 24 accumulators, 4 weight vectors and a broadcast in the 32 zmm registers.
constexpr int kVnniMr = 6;
constexpr int kVnniNv = 4;
// vpmaddwd needs two weight halves per vector and two A halves per row: 6 rows × 2 vectors fit.
constexpr int kMaddMr = 6;
constexpr int kMaddNv = 2;

inline int32_t load4(const uint8_t* p) {
  int32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// The 4 bytes of A at group p of a row, broadcast; in the last, partial group only the bytes before k are
// read (a masked load, which cannot fault past them) and the rest are zero.
template <bool Tail>
KILN_TARGET_AVX512 __attribute__((always_inline)) inline __m512i broadcastGroup(const uint8_t* row, int64_t p,
                                                                               int64_t k) {
  if (!Tail) return _mm512_set1_epi32(load4(row + 4 * p));
  const __mmask16 bytes = static_cast<__mmask16>((1u << (k - 4 * p)) - 1);
  return _mm512_broadcastd_epi32(_mm_maskz_loadu_epi8(bytes, row + 4 * p));
}

KILN_TARGET_AVX512 inline __mmask16 laneMask(int count) {
  return count >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << count) - 1);
}

// Requantizes the accumulators and stores the rows × cols outputs of the tile.
template <int MR, int NV>
KILN_TARGET_AVX512 __attribute__((always_inline)) inline void storeTile(const __m512i (&acc)[MR][NV], int rows,
                                                                         int cols, const Requant& r, int64_t j0,
                                                                         void* out, int64_t ldo) {
#pragma GCC unroll 4
  for (int v = 0; v < NV; ++v) {
    if (16 * v >= cols) break;
    const __mmask16 mask = laneMask(cols - 16 * v);
    const __m512i bias = _mm512_maskz_loadu_epi32(mask, r.bias + j0 + 16 * v);
    const __m512 scale = _mm512_maskz_loadu_ps(mask, r.scale + j0 + 16 * v);
    if (r.toUint8) {
      const __m512 lo = _mm512_set1_ps(-kRequantLimit);
      const __m512 hi = _mm512_set1_ps(kRequantLimit);
      const __m512i zeroPoint = _mm512_set1_epi32(r.zeroPoint);
      const __m512i qMin = _mm512_set1_epi32(r.min);
      const __m512i qMax = _mm512_set1_epi32(r.max);
      uint8_t* base = static_cast<uint8_t*>(out) + 16 * v;
#pragma GCC unroll 8
      for (int i = 0; i < MR; ++i) {
        if (i >= rows) break;
        const __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(acc[i][v], bias)), scale);
        const __mmask16 number = _mm512_cmp_ps_mask(f, f, _CMP_ORD_Q);
        const __m512 bounded = _mm512_min_ps(_mm512_max_ps(f, lo), hi);
        __m512i q = _mm512_add_epi32(
            _mm512_cvt_roundps_epi32(bounded, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), zeroPoint);
        // NaN lanes become 0, the others are clamped to [min, max].
        q = _mm512_maskz_min_epi32(number, _mm512_max_epi32(q, qMin), qMax);
        _mm512_mask_cvtepi32_storeu_epi8(base + i * ldo, mask, q);
      }
    } else {
      const bool hasOffset = r.offset != nullptr;
      const __m512 offset = hasOffset ? _mm512_maskz_loadu_ps(mask, r.offset + j0 + 16 * v) : _mm512_setzero_ps();
      float* base = static_cast<float*>(out) + 16 * v;
#pragma GCC unroll 8
      for (int i = 0; i < MR; ++i) {
        if (i >= rows) break;
        __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(acc[i][v], bias)), scale);
        if (hasOffset) f = _mm512_add_ps(f, offset);
        _mm512_mask_storeu_ps(base + i * ldo, mask, f);
      }
    }
  }
}

// One step over the 4 values of k in group p, by vpdpbusd.
template <int MR, int NV, bool Tail>
KILN_TARGET_AVX512_VNNI __attribute__((always_inline)) inline void stepVnni(__m512i (&acc)[MR][NV],
                                                                             const uint8_t* const (&row)[MR],
                                                                             int64_t p, int64_t k, const int8_t* w,
                                                                             int64_t panel) {
  __m512i wv[NV];
#pragma GCC unroll 4
  for (int v = 0; v < NV; ++v) wv[v] = _mm512_loadu_si512(w + v * panel + 64 * p);
#pragma GCC unroll 12
  for (int i = 0; i < MR; ++i) {
    const __m512i av = broadcastGroup<Tail>(row[i], p, k);
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_dpbusd_epi32(acc[i][v], av, wv[v]);
  }
}

// The same step without VNNI: the even bytes of A (zero-extended) and of w (sign-extended) meet in one
// vpmaddwd, the odd bytes in another, and both sums of two products go into the accumulator.
template <int MR, int NV, bool Tail>
KILN_TARGET_AVX512 __attribute__((always_inline)) inline void stepMadd(__m512i (&acc)[MR][NV],
                                                                        const uint8_t* const (&row)[MR], int64_t p,
                                                                        int64_t k, const int8_t* w, int64_t panel) {
  __m512i wEven[NV], wOdd[NV];
#pragma GCC unroll 4
  for (int v = 0; v < NV; ++v) {
    const __m512i wv = _mm512_loadu_si512(w + v * panel + 64 * p);
    wEven[v] = _mm512_srai_epi16(_mm512_slli_epi16(wv, 8), 8);
    wOdd[v] = _mm512_srai_epi16(wv, 8);
  }
  const __m512i lowBytes = _mm512_set1_epi16(0x00FF);
#pragma GCC unroll 12
  for (int i = 0; i < MR; ++i) {
    const __m512i av = broadcastGroup<Tail>(row[i], p, k);
    const __m512i aEven = _mm512_and_si512(av, lowBytes);
    const __m512i aOdd = _mm512_srli_epi16(av, 8);
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      const __m512i sums = _mm512_add_epi32(_mm512_madd_epi16(aEven, wEven[v]), _mm512_madd_epi16(aOdd, wOdd[v]));
      acc[i][v] = _mm512_add_epi32(acc[i][v], sums);
    }
  }
}

// Rows past the tile's end read the last row again (always in bounds); their results are dropped.
template <int MR>
inline void tileRows(const uint8_t* a, int64_t lda, int rows, const uint8_t* (&row)[MR]) {
#pragma GCC unroll 12
  for (int i = 0; i < MR; ++i) row[i] = a + std::min(i, rows - 1) * lda;
}

template <int MR, int NV>
KILN_TARGET_AVX512 __attribute__((always_inline)) inline void copyTile(const __m512i (&from)[MR][NV],
                                                                        __m512i (&to)[MR][NV]) {
#pragma GCC unroll 12
  for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) to[i][v] = from[i][v];
  }
}

template <int MR, int NV>
KILN_TARGET_AVX512 __attribute__((always_inline)) inline void clear(__m512i (&acc)[MR][NV]) {
#pragma GCC unroll 12
  for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_setzero_si512();
  }
}

// The accumulators of a tile: the partial group of 4 (first: after the loop it makes GCC keep the
// accumulators in memory), then the full groups.
template <int MR, int NV>
KILN_TARGET_AVX512_VNNI __attribute__((always_inline)) inline void accumulateVnni(__m512i (&acc)[MR][NV],
                                                                                   const uint8_t* const (&row)[MR],
                                                                                   int64_t k, const int8_t* w,
                                                                                   int64_t panel) {
  clear(acc);
  const int64_t groups = k / 4;
  if (k % 4 != 0) stepVnni<MR, NV, true>(acc, row, groups, k, w, panel);
  for (int64_t p = 0; p < groups; ++p) stepVnni<MR, NV, false>(acc, row, p, k, w, panel);
}

template <int MR, int NV>
KILN_TARGET_AVX512 __attribute__((always_inline)) inline void accumulateMadd(__m512i (&acc)[MR][NV],
                                                                              const uint8_t* const (&row)[MR],
                                                                              int64_t k, const int8_t* w,
                                                                              int64_t panel) {
  clear(acc);
  const int64_t groups = k / 4;
  if (k % 4 != 0) stepMadd<MR, NV, true>(acc, row, groups, k, w, panel);
  for (int64_t p = 0; p < groups; ++p) stepMadd<MR, NV, false>(acc, row, p, k, w, panel);
}

// A tile: the accumulators, then the requantized stores.
template <int MR, int NV>
KILN_TARGET_AVX512_VNNI void tileVnni(const uint8_t* a, int64_t lda, int rows, int64_t k, const int8_t* w, int64_t kp,
                                      int cols, const Requant& r, int64_t j0, void* out, int64_t ldo) {
  const uint8_t* row[MR];
  tileRows(a, lda, rows, row);
  __m512i acc[MR][NV];
  accumulateVnni(acc, row, k, w, kp * kInt8PanelWidth);
  storeTile<MR, NV>(acc, rows, cols, r, j0, out, ldo);
}

template <int MR, int NV>
KILN_TARGET_AVX512 void tileMadd(const uint8_t* a, int64_t lda, int rows, int64_t k, const int8_t* w, int64_t kp,
                                 int cols, const Requant& r, int64_t j0, void* out, int64_t ldo) {
  const uint8_t* row[MR];
  tileRows(a, lda, rows, row);
  __m512i acc[MR][NV];
  accumulateMadd(acc, row, k, w, kp * kInt8PanelWidth);
  storeTile<MR, NV>(acc, rows, cols, r, j0, out, ldo);
}

// The accumulators of a tile, stored to out: the windowed maxima below take one per window position. A
// function of its own that sums into locals and only then stores them: when the sums go straight to out,
// or the maximum is folded in here, GCC copies every accumulator to another register and back at each
// step of the loop over k.
template <int MR, int NV>
KILN_TARGET_AVX512_VNNI __attribute__((noinline)) void tileAccumulatorsVnni(const uint8_t* a, int64_t lda, int rows,
                                                                            int64_t k, const int8_t* w, int64_t panel,
                                                                            __m512i (&out)[MR][NV]) {
  const uint8_t* row[MR];
  tileRows(a, lda, rows, row);
  __m512i acc[MR][NV];
  accumulateVnni(acc, row, k, w, panel);
  copyTile(acc, out);
}

template <int MR, int NV>
KILN_TARGET_AVX512 __attribute__((noinline)) void tileAccumulatorsMadd(const uint8_t* a, int64_t lda, int rows,
                                                                       int64_t k, const int8_t* w, int64_t panel,
                                                                       __m512i (&out)[MR][NV]) {
  const uint8_t* row[MR];
  tileRows(a, lda, rows, row);
  __m512i acc[MR][NV];
  accumulateMadd(acc, row, k, w, panel);
  copyTile(acc, out);
}

template <int MR, int NV, bool Vnni>
KILN_TARGET_AVX512 __attribute__((always_inline)) inline void tileAccumulators(const uint8_t* a, int64_t lda,
                                                                                int rows, int64_t k, const int8_t* w,
                                                                                int64_t panel,
                                                                                __m512i (&acc)[MR][NV]) {
  if constexpr (Vnni) {
    tileAccumulatorsVnni<MR, NV>(a, lda, rows, k, w, panel, acc);
  } else {
    tileAccumulatorsMadd<MR, NV>(a, lda, rows, k, w, panel, acc);
  }
}

// The variant with as many vectors as the tile's columns need.
KILN_TARGET_AVX512_VNNI void runVnni(const uint8_t* a, int64_t lda, int rows, int64_t k, const int8_t* w, int64_t kp,
                                     int cols, const Requant& r, int64_t j0, void* out, int64_t ldo) {
  switch ((cols + 15) / 16) {
    case 1:
      return tileVnni<kVnniMr, 1>(a, lda, rows, k, w, kp, cols, r, j0, out, ldo);
    case 2:
      return tileVnni<kVnniMr, 2>(a, lda, rows, k, w, kp, cols, r, j0, out, ldo);
    case 3:
      return tileVnni<kVnniMr, 3>(a, lda, rows, k, w, kp, cols, r, j0, out, ldo);
    default:
      return tileVnni<kVnniMr, 4>(a, lda, rows, k, w, kp, cols, r, j0, out, ldo);
  }
}

KILN_TARGET_AVX512 void runMadd(const uint8_t* a, int64_t lda, int rows, int64_t k, const int8_t* w, int64_t kp,
                                int cols, const Requant& r, int64_t j0, void* out, int64_t ldo) {
  if (cols <= 16) return tileMadd<kMaddMr, 1>(a, lda, rows, k, w, kp, cols, r, j0, out, ldo);
  tileMadd<kMaddMr, kMaddNv>(a, lda, rows, k, w, kp, cols, r, j0, out, ldo);
}

// Windows of 4 (2 × 2 pooling, the common case) in tiles of P whole windows: their 4 · P rows are
// consecutive, so one call sums them all, and the maxima are taken from the stored accumulators.
template <int P, int NV, bool Vnni>
KILN_TARGET_AVX512 void windowRows(const uint8_t* a, int64_t lda, int64_t rows, int64_t k, const int8_t* w,
                                   int64_t kp, int cols, const Requant& r, int64_t j0, uint8_t* out, int64_t ldo) {
  const int64_t panel = kp * kInt8PanelWidth;
  for (int64_t i = 0; i < rows; i += P) {
    const int windows = static_cast<int>(std::min<int64_t>(P, rows - i));
    __m512i acc[4 * P][NV];
    tileAccumulators<4 * P, NV, Vnni>(a + 4 * i * lda, lda, 4 * windows, k, w, panel, acc);
    __m512i best[P][NV];
#pragma GCC unroll 4
    for (int q = 0; q < P; ++q) {
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) {
        best[q][v] = _mm512_max_epi32(_mm512_max_epi32(acc[4 * q][v], acc[4 * q + 1][v]),
                                      _mm512_max_epi32(acc[4 * q + 2][v], acc[4 * q + 3][v]));
      }
    }
    storeTile<P, NV>(best, windows, cols, r, j0, out + i * ldo, ldo);
  }
}

// Other windows in tiles of MR windows, a position at a time: the rows of window position t are a + t · lda,
// window · lda apart, and each position's accumulators are folded into the running maxima.
template <int MR, int NV, bool Vnni>
KILN_TARGET_AVX512 void positionRows(const uint8_t* a, int64_t lda, int64_t rows, int64_t window, int64_t k,
                                const int8_t* w, int64_t kp, int cols, const Requant& r, int64_t j0, uint8_t* out,
                                int64_t ldo) {
  const int64_t panel = kp * kInt8PanelWidth;
  for (int64_t i = 0; i < rows; i += MR) {
    const int tileRowCount = static_cast<int>(std::min<int64_t>(MR, rows - i));
    const uint8_t* tile = a + i * window * lda;
    __m512i best[MR][NV];
    tileAccumulators<MR, NV, Vnni>(tile, window * lda, tileRowCount, k, w, panel, best);
    for (int64_t t = 1; t < window; ++t) {
      __m512i acc[MR][NV];
      tileAccumulators<MR, NV, Vnni>(tile + t * lda, window * lda, tileRowCount, k, w, panel, acc);
#pragma GCC unroll 8
      for (int q = 0; q < MR; ++q) {
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) best[q][v] = _mm512_max_epi32(best[q][v], acc[q][v]);
      }
    }
    storeTile<MR, NV>(best, tileRowCount, cols, r, j0, out + i * ldo, ldo);
  }
}

// The windowed maximum with as many vectors as the columns need (more would read panels past the last):
// windows of 4 in tiles of as many whole windows as 24 accumulators allow (fewer without VNNI, whose
// products take more registers), other windows on the tiles of runVnni and runMadd, a position at a time.
void runMaxVnni(const uint8_t* a, int64_t lda, int64_t rows, int64_t window, int64_t k, const int8_t* w, int64_t kp,
                int cols, const Requant& r, int64_t j0, uint8_t* out, int64_t ldo) {
  const int vectors = (cols + 15) / 16;
  if (window == 4) {
    switch (vectors) {
      case 1:
        return windowRows<3, 1, true>(a, lda, rows, k, w, kp, cols, r, j0, out, ldo);
      case 2:
        return windowRows<3, 2, true>(a, lda, rows, k, w, kp, cols, r, j0, out, ldo);
      case 3:
        return windowRows<2, 3, true>(a, lda, rows, k, w, kp, cols, r, j0, out, ldo);
      default:
        return windowRows<1, 4, true>(a, lda, rows, k, w, kp, cols, r, j0, out, ldo);
    }
  }
  switch (vectors) {
    case 1:
      return positionRows<kVnniMr, 1, true>(a, lda, rows, window, k, w, kp, cols, r, j0, out, ldo);
    case 2:
      return positionRows<kVnniMr, 2, true>(a, lda, rows, window, k, w, kp, cols, r, j0, out, ldo);
    case 3:
      return positionRows<kVnniMr, 3, true>(a, lda, rows, window, k, w, kp, cols, r, j0, out, ldo);
    default:
      return positionRows<kVnniMr, 4, true>(a, lda, rows, window, k, w, kp, cols, r, j0, out, ldo);
  }
}

void runMaxMadd(const uint8_t* a, int64_t lda, int64_t rows, int64_t window, int64_t k, const int8_t* w, int64_t kp,
                int cols, const Requant& r, int64_t j0, uint8_t* out, int64_t ldo) {
  if (window == 4) {
    if (cols <= 16) return windowRows<3, 1, false>(a, lda, rows, k, w, kp, cols, r, j0, out, ldo);
    return windowRows<2, kMaddNv, false>(a, lda, rows, k, w, kp, cols, r, j0, out, ldo);
  }
  if (cols <= 16) return positionRows<kMaddMr, 1, false>(a, lda, rows, window, k, w, kp, cols, r, j0, out, ldo);
  positionRows<kMaddMr, kMaddNv, false>(a, lda, rows, window, k, w, kp, cols, r, j0, out, ldo);
}

// Every tile of runMaxVnni and runMaxMadd (3, 2 or 1 windows of 4; 6 windows otherwise) divides it.
constexpr int kMaxRows = 6;

}  // namespace

const Int8MicroKernel& int8Avx512VnniMicroKernel() {
  static const Int8MicroKernel kernel{Int8Isa::kAvx512Vnni, kVnniMr, 16 * kVnniNv, runVnni, runMaxVnni, kMaxRows};
  return kernel;
}

const Int8MicroKernel& int8Avx512MicroKernel() {
  static const Int8MicroKernel kernel{Int8Isa::kAvx512, kMaddMr, 16 * kMaddNv, runMadd, runMaxMadd, kMaxRows};
  return kernel;
}

}  // namespace kiln
#endif
