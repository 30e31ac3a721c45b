// Winograd's F(2 × 2, 3 × 3) convolution fused with 2 × 2 max pooling, for the AVX-512 family (see
// WinogradPooling in gemm_kernels.h). With g a 3 × 3 kernel, d a 4 × 4 input tile and
//   G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1],  Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1],  Aᵀ = [1 1 1 0; 0 1 −1 −1],
// the 2 × 2 output tile is Aᵀ [Σ_channels (G g Gᵀ) ⊙ (Bᵀ d B)] A: for each of the 16 points of the
// transformed tile, a GEMM of the transformed weights by the transformed input tiles, on the micro-kernel.
// Tiles are vectorized 16 (or 15) at a time, so each transform is a few adds on whole vectors.
#include "gemm_kernels.h"

#if KILN_X86_KERNELS
#include <algorithm>

#include "aligned_buffer.h"
#include "avx512.h"

namespace kiln {
namespace {

constexpr int kMr = 8;
constexpr int kNr = 32;
// The 4 × 4 points of a transformed tile.
constexpr int kPoints = 16;
// Tiles of one input transform: 15 tiles read 32 consecutive input columns, two vectors.
constexpr int kTilesPerStep = 15;
// The 16 points' blocks of the scratch buffers (and of the untransposed weights) are spaced one cache line
// more than their size: at a multiple of 4 KiB apart, the 16 stores or loads of a transform would all fall
// in one cache set.
constexpr int64_t kSkew = 16;

// Floats between the points of the transformed input (each inChannels × kNr) and of the products (kMr × kNr).
int64_t inputPointStride(int64_t inChannels) { return inChannels * kNr + kSkew; }
constexpr int64_t kProductPointStride = kMr * kNr + kSkew;

float* scratch(AlignedBuffer& buffer, int64_t size) { return buffer.reserve(static_cast<size_t>(size)); }

// Transformed input tiles of one B panel: for point ξ, rows (channels) of kNr tiles at
// ξ · inputPointStride + c · kNr.
KILN_TARGET_AVX512 void transformInput(const WinogradPooling& conv, int64_t first, int cols, float* v) {
  const __m512i even = evenLanes(), odd = oddLanes();
  // Columns 2i + 2 and 2i + 3: the right half of each 4-wide tile.
  const __m512i evenRight = _mm512_set_epi32(30, 30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2);
  const __m512i oddRight = _mm512_set_epi32(31, 31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3);
  const int64_t plane = conv.inH * conv.inW;
  const int64_t pooled = conv.pooledH * conv.pooledW;
  for (int64_t t = first; t < first + cols;) {
    const int64_t n = t / pooled, ph = t % pooled / conv.pooledW, pw = t % pooled % conv.pooledW;
    const int count =
        static_cast<int>(std::min<int64_t>({conv.pooledW - pw, first + cols - t, static_cast<int64_t>(kTilesPerStep)}));
    // The tiles of pooled row ph from column pw read input rows 2ph … 2ph + 3, columns 2pw … 2pw + 2 · count + 1.
    const __mmask16 low = columnMask(2 * count + 2), high = columnMask(2 * count + 2 - 16);
    const __mmask16 store = columnMask(count);
    const float* tile = conv.x + n * conv.inChannels * plane + 2 * ph * conv.inW + 2 * pw;
    float* column = v + (t - first);
    for (int64_t c = 0; c < conv.inChannels; ++c, tile += plane) {
      __m512 d[4][4];
      for (int r = 0; r < 4; ++r) {
        const float* row = tile + r * conv.inW;
        const __m512 a = _mm512_maskz_loadu_ps(low, row), b = _mm512_maskz_loadu_ps(high, row + 16);
        d[r][0] = _mm512_permutex2var_ps(a, even, b);
        d[r][1] = _mm512_permutex2var_ps(a, odd, b);
        d[r][2] = _mm512_permutex2var_ps(a, evenRight, b);
        d[r][3] = _mm512_permutex2var_ps(a, oddRight, b);
      }
      // Bᵀ d, then (Bᵀ d) B.
      __m512 y[4][4];
      for (int j = 0; j < 4; ++j) {
        y[0][j] = _mm512_sub_ps(d[0][j], d[2][j]);
        y[1][j] = _mm512_add_ps(d[1][j], d[2][j]);
        y[2][j] = _mm512_sub_ps(d[2][j], d[1][j]);
        y[3][j] = _mm512_sub_ps(d[1][j], d[3][j]);
      }
      for (int i = 0; i < 4; ++i) {
        const __m512 point[4] = {_mm512_sub_ps(y[i][0], y[i][2]), _mm512_add_ps(y[i][1], y[i][2]),
                                 _mm512_sub_ps(y[i][2], y[i][1]), _mm512_sub_ps(y[i][1], y[i][3])};
        for (int j = 0; j < 4; ++j) {
          _mm512_mask_storeu_ps(column + (4 * i + j) * inputPointStride(conv.inChannels) + c * kNr, store, point[j]);
        }
      }
    }
    t += count;
  }
}

// Output channel oc of tiles [first, first + lanes): Aᵀ m A from the 16 product rows m[ξ], bias and
// activation, the 2 × 2 maximum in pool2d's scan order, stored at each tile's place in the batch.
KILN_TARGET_AVX512 void finishTiles(const WinogradPooling& conv, int64_t oc, int64_t first, int lanes, const __m512 (&m)[kPoints]) {
  __m512 z[2][4];
  for (int j = 0; j < 4; ++j) {
    z[0][j] = _mm512_add_ps(_mm512_add_ps(m[j], m[4 + j]), m[8 + j]);
    z[1][j] = _mm512_sub_ps(_mm512_sub_ps(m[4 + j], m[8 + j]), m[12 + j]);
  }
  const __m512 bias = _mm512_set1_ps(conv.bias == nullptr ? 0.0f : conv.bias[oc]);
  __m512 y[4];
  for (int i = 0; i < 2; ++i) {
    y[2 * i] = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(z[i][0], z[i][1]), z[i][2]), bias);
    y[2 * i + 1] = _mm512_add_ps(_mm512_sub_ps(_mm512_sub_ps(z[i][1], z[i][2]), z[i][3]), bias);
  }
  if (conv.relu) {
    for (__m512& v : y) v = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_NLE_UQ), v);
  }
  const __m512 best = foldMax(foldMax(foldMax(y[0], y[1]), y[2]), y[3]);
  // Consecutive tiles are consecutive outputs of a channel, except where they cross into the next image.
  const int64_t pooled = conv.pooledH * conv.pooledW;
  for (int lane = 0; lane < lanes;) {
    const int64_t t = first + lane;
    const int run = static_cast<int>(std::min<int64_t>(lanes - lane, pooled - t % pooled));
    float* lane0 = conv.out + (t / pooled * conv.outChannels + oc) * pooled + t % pooled - lane;
    _mm512_mask_storeu_ps(lane0, static_cast<__mmask16>(((1u << run) - 1) << lane), best);
    lane += run;
  }
}

}  // namespace

KILN_TARGET_AVX512 void winogradWeightsAvx512(const MicroKernel& kernel, const float* w, int64_t outChannels, int64_t inChannels,
                           float* packed) {
  static thread_local AlignedBuffer buffer;
  const int64_t pointStride = outChannels * inChannels + kSkew;
  float* u = scratch(buffer, kPoints * pointStride);
  // Sixteen input channels at a time: their nine taps are gathered (they lie 9 floats apart).
  const __m512i nine = _mm512_set_epi32(135, 126, 117, 108, 99, 90, 81, 72, 63, 54, 45, 36, 27, 18, 9, 0);
  const __m512 half = _mm512_set1_ps(0.5f);
  for (int64_t oc = 0; oc < outChannels; ++oc) {
    for (int64_t ic = 0; ic < inChannels; ic += 16) {
      const __mmask16 mask = columnMask(static_cast<int>(inChannels - ic));
      const float* taps = w + (oc * inChannels + ic) * 9;
      __m512 g[9];
      for (int t = 0; t < 9; ++t) g[t] = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), mask, nine, taps + t, 4);
      // G g (rows of the kernel combined), then (G g) Gᵀ.
      __m512 gg[4][3];
      for (int k = 0; k < 3; ++k) {
        gg[0][k] = g[k];
        gg[1][k] = _mm512_mul_ps(_mm512_add_ps(_mm512_add_ps(g[k], g[3 + k]), g[6 + k]), half);
        gg[2][k] = _mm512_mul_ps(_mm512_add_ps(_mm512_sub_ps(g[k], g[3 + k]), g[6 + k]), half);
        gg[3][k] = g[6 + k];
      }
      for (int i = 0; i < 4; ++i) {
        const __m512 point[4] = {gg[i][0],
                                 _mm512_mul_ps(_mm512_add_ps(_mm512_add_ps(gg[i][0], gg[i][1]), gg[i][2]), half),
                                 _mm512_mul_ps(_mm512_add_ps(_mm512_sub_ps(gg[i][0], gg[i][1]), gg[i][2]), half),
                                 gg[i][2]};
        for (int j = 0; j < 4; ++j) {
          _mm512_mask_storeu_ps(u + (4 * i + j) * pointStride + oc * inChannels + ic, mask, point[j]);
        }
      }
    }
  }
  const int64_t matrix = winogradWeightsSize(kernel, outChannels, inChannels) / kPoints;
  for (int xi = 0; xi < kPoints; ++xi) {
    kernel.packRows(u + xi * pointStride, inChannels, outChannels, inChannels, kernel.mr,
                    packed + xi * matrix);
  }
}

KILN_TARGET_AVX512 void winogradTilesAvx512(const MicroKernel& kernel, const WinogradPooling& conv, int64_t first, int64_t last) {
  static thread_local AlignedBuffer vBuffer, mBuffer;
  float* v = scratch(vBuffer, kPoints * inputPointStride(conv.inChannels));
  float* m = scratch(mBuffer, kPoints * kProductPointStride);
  const int64_t rowPanels = (conv.outChannels + kMr - 1) / kMr;
  const int64_t matrix = rowPanels * kMr * conv.inChannels;
  for (int64_t panel = first; panel < last; panel += kNr) {
    const int cols = static_cast<int>(std::min<int64_t>(kNr, last - panel));
    transformInput(conv, panel, cols, v);
    for (int64_t ir = 0; ir < rowPanels; ++ir) {
      const int rows = static_cast<int>(std::min<int64_t>(kMr, conv.outChannels - ir * kMr));
      for (int xi = 0; xi < kPoints; ++xi) {
        const float* a = conv.weights + xi * matrix + ir * kMr * conv.inChannels;
        const float* b = v + xi * inputPointStride(conv.inChannels);
        for (int64_t p0 = 0; p0 < conv.inChannels; p0 += kernel.kc) {
          const int64_t depth = std::min(kernel.kc, conv.inChannels - p0);
          kernel.run(depth, a + p0 * kMr, b + p0 * kNr, m + xi * kProductPointStride, kNr, rows, cols, 1.0f,
                     p0 == 0 ? 0.0f : 1.0f, nullptr);
        }
      }
      for (int r = 0; r < rows; ++r) {
        for (int h = 0; h < cols; h += 16) {
          __m512 point[kPoints];
          for (int xi = 0; xi < kPoints; ++xi) point[xi] = _mm512_loadu_ps(m + xi * kProductPointStride + r * kNr + h);
          finishTiles(conv, ir * kMr + r, panel + h, std::min(16, cols - h), point);
        }
      }
    }
  }
}

}  // namespace kiln
#endif
