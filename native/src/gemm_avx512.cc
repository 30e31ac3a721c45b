// The AVX-512 kernel family. Micro-kernel: an 8 × 32 register tile. Sixteen zmm accumulators (8 rows × 2
// vectors of 16 floats) hide the FMA latency on both FMA pipes; each k step loads two vectors of B and
// broadcasts eight A values.
#include "gemm_kernels.h"

#if KILN_X86_KERNELS
#include <algorithm>

#include "avx512.h"

namespace kiln {
namespace {

constexpr int kMr = 8;
constexpr int kNr = 32;

KILN_TARGET_AVX512 void runAvx512(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int rows,
                                  int cols, float alpha, float beta, const TileEpilogue* epilogue) {
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
    if (epilogue != nullptr) {
      if (epilogue->rowBias != nullptr) {
        const __m512 bias = _mm512_set1_ps(epilogue->rowBias[r]);
        v0 = _mm512_add_ps(v0, bias);
        v1 = _mm512_add_ps(v1, bias);
      }
      if (epilogue->relu) {
        // Keeps lanes that are not ≤ 0 (positive or NaN); the rest become +0.
        v0 = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(v0, _mm512_setzero_ps(), _CMP_NLE_UQ), v0);
        v1 = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(v1, _mm512_setzero_ps(), _CMP_NLE_UQ), v1);
      }
    }
    _mm512_mask_storeu_ps(row, mask0, v0);
    _mm512_mask_storeu_ps(row + 16, mask1, v1);
  }
}

// M rows of A against J rows of B at a time: M · J accumulators, each B vector loaded once for all M rows.
template <int M, int J>
KILN_TARGET_AVX512 void rowDotsBlock(int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb, float* c,
                                     int64_t ldc, float alpha, float beta) {
  __m512 acc[M][J];
  for (int i = 0; i < M; ++i) {
    for (int t = 0; t < J; ++t) acc[i][t] = _mm512_setzero_ps();
  }
  const __mmask16 tail = columnMask(static_cast<int>(k & 15));
  for (int64_t p = 0; p < k; p += 16) {
    const __mmask16 mask = p + 16 <= k ? static_cast<__mmask16>(0xFFFF) : tail;
    __m512 bv[J];
    for (int t = 0; t < J; ++t) bv[t] = _mm512_maskz_loadu_ps(mask, b + t * ldb + p);
    for (int i = 0; i < M; ++i) {
      const __m512 av = _mm512_maskz_loadu_ps(mask, a + i * lda + p);
      for (int t = 0; t < J; ++t) acc[i][t] = _mm512_fmadd_ps(av, bv[t], acc[i][t]);
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
KILN_TARGET_AVX512 void rowDotsRows(int64_t n, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb,
                                    float* c, int64_t ldc, float alpha, float beta) {
  // Enough independent accumulators to cover the FMA latency with one row of A.
  constexpr int kJ = M <= 2 ? 8 : 4;
  int64_t j = 0;
  for (; j + kJ <= n; j += kJ) rowDotsBlock<M, kJ>(k, a, lda, b + j * ldb, ldb, c + j, ldc, alpha, beta);
  for (; j < n; ++j) rowDotsBlock<M, 1>(k, a, lda, b + j * ldb, ldb, c + j, ldc, alpha, beta);
}

void rowDotsAvx512(int m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb, float* c,
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

// One load of a B panel row: the lanes of `mask` read from the plane at `offset` bytes (the address of lane
// 0 of the half, which may lie outside the plane: masked-off lanes are never read).
struct LaneLoad {
  __mmask16 mask;
  int64_t offset;
};

// Rows of one tap for every channel, the tap's loads fixed at compile time (kLow for lanes 0–15, kHigh for
// lanes 16–31) so their masks and offsets stay in registers across the channels.
template <int kLow, int kHigh>
KILN_TARGET_AVX512 void gatherTapFixed(const LaneLoad* low, const LaneLoad* high, const float* planes,
                                       int64_t planeStride, int64_t channels, int64_t rowStride, float* row) {
  __mmask16 lowMask[kLow + 1], highMask[kHigh + 1];
  int64_t lowOffset[kLow + 1], highOffset[kHigh + 1];
  for (int i = 0; i < kLow; ++i) lowMask[i] = low[i].mask, lowOffset[i] = low[i].offset;
  for (int i = 0; i < kHigh; ++i) highMask[i] = high[i].mask, highOffset[i] = high[i].offset;
  for (int64_t c = 0; c < channels; ++c, row += rowStride) {
    const uintptr_t plane = reinterpret_cast<uintptr_t>(planes + c * planeStride);
    __m512 first = _mm512_setzero_ps();
    __m512 second = _mm512_setzero_ps();
    for (int i = 0; i < kLow; ++i) {
      first = _mm512_or_ps(first, _mm512_maskz_loadu_ps(lowMask[i], reinterpret_cast<const float*>(plane + lowOffset[i])));
    }
    for (int i = 0; i < kHigh; ++i) {
      second = _mm512_or_ps(second, _mm512_maskz_loadu_ps(highMask[i], reinterpret_cast<const float*>(plane + highOffset[i])));
    }
    _mm512_storeu_ps(row, first);
    _mm512_storeu_ps(row + 16, second);
  }
}

// gatherTapFixed for any number of loads.
KILN_TARGET_AVX512 void gatherTapAny(const LaneLoad* low, int lowCount, const LaneLoad* high, int highCount,
                                     const float* planes, int64_t planeStride, int64_t channels, int64_t rowStride,
                                     float* row) {
  for (int64_t c = 0; c < channels; ++c, row += rowStride) {
    const uintptr_t plane = reinterpret_cast<uintptr_t>(planes + c * planeStride);
    __m512 first = _mm512_setzero_ps();
    __m512 second = _mm512_setzero_ps();
    for (int i = 0; i < lowCount; ++i) {
      first = _mm512_or_ps(first, _mm512_maskz_loadu_ps(low[i].mask, reinterpret_cast<const float*>(plane + low[i].offset)));
    }
    for (int i = 0; i < highCount; ++i) {
      second = _mm512_or_ps(second, _mm512_maskz_loadu_ps(high[i].mask, reinterpret_cast<const float*>(plane + high[i].offset)));
    }
    _mm512_storeu_ps(row, first);
    _mm512_storeu_ps(row + 16, second);
  }
}

template <int kLow>
KILN_TARGET_AVX512 bool gatherTapByHigh(const LaneLoad* low, const LaneLoad* high, int highCount,
                                        const float* planes, int64_t planeStride, int64_t channels,
                                        int64_t rowStride, float* row) {
  switch (highCount) {
    case 0:
      gatherTapFixed<kLow, 0>(low, high, planes, planeStride, channels, rowStride, row);
      return true;
    case 1:
      gatherTapFixed<kLow, 1>(low, high, planes, planeStride, channels, rowStride, row);
      return true;
    case 2:
      gatherTapFixed<kLow, 2>(low, high, planes, planeStride, channels, rowStride, row);
      return true;
    case 3:
      gatherTapFixed<kLow, 3>(low, high, planes, planeStride, channels, rowStride, row);
      return true;
    default:
      return false;
  }
}

KILN_TARGET_AVX512 void gatherPanelAvx512(const float* planes, int64_t planeStride, int64_t srcStride,
                                          int64_t channels, int taps, const PanelRun* runs, const int32_t* runStart,
                                          int nr, float* panel) {
  if (srcStride != 1 || nr != kNr) {
    return gatherPanelPortable(planes, planeStride, srcStride, channels, taps, runs, runStart, nr, panel);
  }
  // A row is assembled in two registers, each run landing in its lanes by a zero-masked load ORed in, and
  // stored once: the micro-kernel reads it back right away, and a row written as a zero fill overlaid by
  // partial stores would stall those loads. A tap's loads are worked out once and then made for every
  // channel; with at most three per half (any panel of a plane at least 11 wide) they are compiled in.
  LaneLoad low[kNr], high[kNr];
  for (int t = 0; t < taps; ++t) {
    int lowCount = 0, highCount = 0;
    for (int32_t r = runStart[t]; r < runStart[t + 1]; ++r) {
      const PanelRun run = runs[r];
      const uint32_t lanes = static_cast<uint32_t>((uint64_t{1} << run.length) - 1) << run.dst;
      const int64_t lane0 = (static_cast<int64_t>(run.src) - run.dst) * static_cast<int64_t>(sizeof(float));
      if ((lanes & 0xFFFF) != 0) low[lowCount++] = LaneLoad{static_cast<__mmask16>(lanes), lane0};
      if ((lanes >> 16) != 0) high[highCount++] = LaneLoad{static_cast<__mmask16>(lanes >> 16), lane0 + 64};
    }
    float* row = panel + t * kNr;
    const int64_t rowStride = static_cast<int64_t>(taps) * kNr;
    bool done = false;
    switch (lowCount) {
      case 0:
        done = gatherTapByHigh<0>(low, high, highCount, planes, planeStride, channels, rowStride, row);
        break;
      case 1:
        done = gatherTapByHigh<1>(low, high, highCount, planes, planeStride, channels, rowStride, row);
        break;
      case 2:
        done = gatherTapByHigh<2>(low, high, highCount, planes, planeStride, channels, rowStride, row);
        break;
      case 3:
        done = gatherTapByHigh<3>(low, high, highCount, planes, planeStride, channels, rowStride, row);
        break;
      default:
        break;
    }
    if (!done) gatherTapAny(low, lowCount, high, highCount, planes, planeStride, channels, rowStride, row);
  }
}

// Transposes 8 rows × 16 depths: out[q] holds depths 2q and 2q + 1, rows 0–7 of each.
KILN_TARGET_AVX512 inline void transpose8x16(const __m512 (&rows)[kMr], __m512 (&out)[kMr]) {
  // Pairs of rows interleaved, then quads: u[m] holds, in 128-bit lane L, rows 0–3 at depth 4L + m, and
  // u[4 + m] rows 4–7.
  __m512 t[kMr], u[kMr];
  for (int i = 0; i < 4; ++i) {
    t[2 * i] = unpackLow(rows[2 * i], rows[2 * i + 1]);
    t[2 * i + 1] = unpackHigh(rows[2 * i], rows[2 * i + 1]);
  }
  for (int h = 0; h < 2; ++h) {
    const __m512 a0 = t[4 * h], a1 = t[4 * h + 1], b0 = t[4 * h + 2], b1 = t[4 * h + 3];
    u[4 * h + 0] = _mm512_shuffle_ps(a0, b0, _MM_SHUFFLE(1, 0, 1, 0));
    u[4 * h + 1] = _mm512_shuffle_ps(a0, b0, _MM_SHUFFLE(3, 2, 3, 2));
    u[4 * h + 2] = _mm512_shuffle_ps(a1, b1, _MM_SHUFFLE(1, 0, 1, 0));
    u[4 * h + 3] = _mm512_shuffle_ps(a1, b1, _MM_SHUFFLE(3, 2, 3, 2));
  }
  // Depths 4L + m and 4L + m + 1 (m = 0, 2) as [rows 0–3, rows 4–7] twice: out[2L + m / 2].
  for (int m = 0; m < 4; m += 2) {
    const __m512 lowPair0 = shuffleLanes<_MM_SHUFFLE(1, 0, 1, 0)>(u[m], u[4 + m]);
    const __m512 lowPair1 = shuffleLanes<_MM_SHUFFLE(1, 0, 1, 0)>(u[m + 1], u[5 + m]);
    const __m512 highPair0 = shuffleLanes<_MM_SHUFFLE(3, 2, 3, 2)>(u[m], u[4 + m]);
    const __m512 highPair1 = shuffleLanes<_MM_SHUFFLE(3, 2, 3, 2)>(u[m + 1], u[5 + m]);
    out[0 + m / 2] = shuffleLanes<_MM_SHUFFLE(2, 0, 2, 0)>(lowPair0, lowPair1);
    out[2 + m / 2] = shuffleLanes<_MM_SHUFFLE(3, 1, 3, 1)>(lowPair0, lowPair1);
    out[4 + m / 2] = shuffleLanes<_MM_SHUFFLE(2, 0, 2, 0)>(highPair0, highPair1);
    out[6 + m / 2] = shuffleLanes<_MM_SHUFFLE(3, 1, 3, 1)>(highPair0, highPair1);
  }
}

// Panels of any width that is a multiple of 8 (the A panels, mr = 8, and the B panels, nr = 32), 8 rows at
// a time through transpose8x16: each depth's 8 values land at their column of the panel row.
KILN_TARGET_AVX512 void packRowsAvx512(const float* src, int64_t ld, int64_t rows, int64_t depth, int width,
                                       float* dst) {
  if (width % kMr != 0) return packRowsPortable(src, ld, rows, depth, width, dst);
  for (int64_t i0 = 0; i0 < rows; i0 += width, dst += depth * width) {
    for (int g = 0; g < width; g += kMr) {
      const int64_t groupRows = std::max<int64_t>(0, std::min<int64_t>(kMr, rows - i0 - g));
      const float* group = src + (i0 + g) * ld;
      float* column = dst + g;
      int64_t p = 0;
      for (; p + 16 <= depth; p += 16) {
        __m512 block[kMr], out[kMr];
        for (int r = 0; r < kMr; ++r) block[r] = r < groupRows ? _mm512_loadu_ps(group + r * ld + p) : _mm512_setzero_ps();
        transpose8x16(block, out);
        for (int q = 0; q < kMr; ++q) {
          float* at = column + (p + 2 * q) * width;
          if (width == kMr) {
            _mm512_storeu_ps(at, out[q]);
          } else {
            // Lanes 0–7 to this depth's row, lanes 8–15 to the next one's.
            _mm512_mask_storeu_ps(at, 0x00FF, out[q]);
            _mm512_mask_storeu_ps(at + width - 8, 0xFF00, out[q]);
          }
        }
      }
      for (; p < depth; ++p) {
        for (int r = 0; r < kMr; ++r) column[p * width + r] = r < groupRows ? group[r * ld + p] : 0.0f;
      }
    }
  }
}

KILN_TARGET_AVX512 void maxPoolPairsAvx512(const float* x, int64_t planes, int64_t inPlane, int64_t inW,
                                           int64_t outH, int64_t outW, float* out, int64_t outPlane) {
  const __m512i even = evenLanes(), odd = oddLanes();
  // Masks of the last (or only) 16 windows of a row, and of their 2 · count inputs and nothing past them.
  const int lastCount = static_cast<int>(outW - (outW - 1) / 16 * 16);
  const __mmask16 lastFirst = columnMask(2 * lastCount), lastSecond = columnMask(2 * lastCount - 16);
  const __mmask16 lastStore = columnMask(lastCount);
  for (int64_t plane = 0; plane < planes; ++plane) {
    const float* xPlane = x + plane * inPlane;
    float* outRow = out + plane * outPlane;
    for (int64_t oh = 0; oh < outH; ++oh, outRow += outW) {
      const float* top = xPlane + 2 * oh * inW;
      const float* bottom = top + inW;
      for (int64_t ow = 0; ow < outW; ow += 16) {
        const bool last = ow + 16 >= outW;
        const __mmask16 first = last ? lastFirst : kAllLanes, second = last ? lastSecond : kAllLanes;
        const float* t = top + 2 * ow;
        const float* b = bottom + 2 * ow;
        const __m512 t0 = _mm512_maskz_loadu_ps(first, t), t1 = _mm512_maskz_loadu_ps(second, t + 16);
        const __m512 b0 = _mm512_maskz_loadu_ps(first, b), b1 = _mm512_maskz_loadu_ps(second, b + 16);
        __m512 best = _mm512_permutex2var_ps(t0, even, t1);
        best = foldMax(best, _mm512_permutex2var_ps(t0, odd, t1));
        best = foldMax(best, _mm512_permutex2var_ps(b0, even, b1));
        best = foldMax(best, _mm512_permutex2var_ps(b0, odd, b1));
        _mm512_mask_storeu_ps(outRow + ow, last ? lastStore : kAllLanes, best);
      }
    }
  }
}

// A block of a direct convolution: for output channels [o, o + OB), rows oh and oh + 1 (the second only
// when `bottom`), columns [ow, ow + 16) and [ow + 16, ow + 32) (the lanes of `left` and `right`), with bias
// and activation applied. The four input vectors of a tap are loaded once for all OB channels, and the
// 4 · OB sums are independent, so the FMAs do not wait on one another.
template <int OB>
KILN_TARGET_AVX512 inline void directBlock(const DirectConvImage& im, int64_t o, int64_t oh, int64_t ow,
                                           __mmask16 left, __mmask16 right, bool bottom, __m512 (&acc)[OB][4]) {
  const float* top = im.x + oh * im.inW + ow;
  const float* below = top + im.inW;
  const __mmask16 belowLeft = bottom ? left : 0, belowRight = bottom ? right : 0;
  for (int j = 0; j < OB; ++j) {
    for (int v = 0; v < 4; ++v) acc[j][v] = _mm512_setzero_ps();
  }
  for (int t = 0; t < im.taps; ++t) {
    const int32_t offset = im.tapOffsets[t];
    const __m512 in[4] = {_mm512_maskz_loadu_ps(left, top + offset), _mm512_maskz_loadu_ps(right, top + offset + 16),
                          _mm512_maskz_loadu_ps(belowLeft, below + offset),
                          _mm512_maskz_loadu_ps(belowRight, below + offset + 16)};
    for (int j = 0; j < OB; ++j) {
      const __m512 weight = _mm512_set1_ps(im.w[(o + j) * im.taps + t]);
      for (int v = 0; v < 4; ++v) acc[j][v] = _mm512_fmadd_ps(weight, in[v], acc[j][v]);
    }
  }
  for (int j = 0; j < OB; ++j) {
    // The bias is added after the sum, as the GEMM path's epilogue does.
    const __m512 bias = _mm512_set1_ps(im.bias == nullptr ? 0.0f : im.bias[o + j]);
    for (int v = 0; v < 4; ++v) {
      acc[j][v] = _mm512_add_ps(acc[j][v], bias);
      if (im.relu) acc[j][v] = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(acc[j][v], _mm512_setzero_ps(), _CMP_NLE_UQ), acc[j][v]);
    }
  }
}

// Output channels [o, o + OB) of one image.
template <int OB>
KILN_TARGET_AVX512 void directChannels(const DirectConvImage& im, int64_t o) {
  __m512 acc[OB][4];
  if (!im.poolPairs) {
    for (int64_t oh = 0; oh < im.outH; oh += 2) {
      const bool bottom = oh + 1 < im.outH;
      for (int64_t ow = 0; ow < im.outW; ow += 32) {
        const __mmask16 left = columnMask(static_cast<int>(im.outW - ow));
        const __mmask16 right = columnMask(static_cast<int>(im.outW - ow - 16));
        directBlock<OB>(im, o, oh, ow, left, right, bottom, acc);
        for (int j = 0; j < OB; ++j) {
          float* row = im.out + ((o + j) * im.outH + oh) * im.outW + ow;
          _mm512_mask_storeu_ps(row, left, acc[j][0]);
          _mm512_mask_storeu_ps(row + 16, right, acc[j][1]);
          if (bottom) {
            _mm512_mask_storeu_ps(row + im.outW, left, acc[j][2]);
            _mm512_mask_storeu_ps(row + im.outW + 16, right, acc[j][3]);
          }
        }
      }
    }
    return;
  }
  // 16 pooled columns from the 32 output columns of two rows, folded in pool2d's scan order.
  const __m512i even = evenLanes(), odd = oddLanes();
  const int64_t pooledH = im.outH / 2, pooledW = im.outW / 2;
  for (int64_t ph = 0; ph < pooledH; ++ph) {
    for (int64_t pw = 0; pw < pooledW; pw += 16) {
      const int count = static_cast<int>(std::min<int64_t>(16, pooledW - pw));
      directBlock<OB>(im, o, 2 * ph, 2 * pw, columnMask(2 * count), columnMask(2 * count - 16), true, acc);
      for (int j = 0; j < OB; ++j) {
        const __m512 t0 = acc[j][0], t1 = acc[j][1], b0 = acc[j][2], b1 = acc[j][3];
        __m512 best = _mm512_permutex2var_ps(t0, even, t1);
        best = foldMax(best, _mm512_permutex2var_ps(t0, odd, t1));
        best = foldMax(best, _mm512_permutex2var_ps(b0, even, b1));
        best = foldMax(best, _mm512_permutex2var_ps(b0, odd, b1));
        _mm512_mask_storeu_ps(im.out + ((o + j) * pooledH + ph) * pooledW + pw, columnMask(count), best);
      }
    }
  }
}

KILN_TARGET_AVX512 void directConvAvx512(const DirectConvImage& im) {
  int64_t o = 0;
  for (; o + 4 <= im.outChannels; o += 4) directChannels<4>(im, o);
  for (; o < im.outChannels; ++o) directChannels<1>(im, o);
}

}  // namespace

const MicroKernel& avx512MicroKernel() {
  static const MicroKernel kernel{Isa::kAvx512, kMr, kNr, 128, 256, 1024, runAvx512, rowDotsAvx512, gatherPanelAvx512,
                                  packRowsAvx512, maxPoolPairsAvx512,
                                  directConvAvx512, winogradWeightsAvx512, winogradTilesAvx512};
  return kernel;
}

}  // namespace kiln
#endif
