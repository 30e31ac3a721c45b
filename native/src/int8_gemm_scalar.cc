// Portable int8 micro-kernel: plain C++ over the packed panels, for CPUs without AVX2 (and the reference
// the SIMD kernels are tested against through the js backend).
#include "int8_kernels.h"

namespace kiln {
namespace {

constexpr int kMr = 4;

// acc[i][j] = a[i, 0:k] · w[j, 0:k] for the rows × 16 of one panel.
void accumulate(const uint8_t* a, int64_t lda, int rows, int64_t k, const int8_t* w,
                int32_t (&acc)[kMr][kInt8PanelWidth]) {
  for (int i = 0; i < rows; ++i) {
    for (int j = 0; j < kInt8PanelWidth; ++j) acc[i][j] = 0;
  }
  for (int64_t p0 = 0; p0 < k; p0 += 4) {
    // The panel row of this group of 4, transposed to [4][16] so the loops below run over consecutive
    // channels, which compilers vectorize.
    int32_t wt[4][kInt8PanelWidth];
    for (int j = 0; j < kInt8PanelWidth; ++j) {
      for (int q = 0; q < 4; ++q) wt[q][j] = w[p0 * kInt8PanelWidth + 4 * j + q];
    }
    const int steps = static_cast<int>(std::min<int64_t>(4, k - p0));
    for (int i = 0; i < rows; ++i) {
      for (int q = 0; q < steps; ++q) {
        const int32_t av = a[i * lda + p0 + q];
        for (int j = 0; j < kInt8PanelWidth; ++j) acc[i][j] += av * wt[q][j];
      }
    }
  }
}

void store(const int32_t (&acc)[kMr][kInt8PanelWidth], int rows, int cols, const Requant& r, int64_t j0, void* out,
           int64_t ldo) {
  for (int i = 0; i < rows; ++i) {
    for (int j = 0; j < cols; ++j) {
      const float v = requantizeValue(acc[i][j], r, j0 + j);
      if (r.toUint8) {
        static_cast<uint8_t*>(out)[i * ldo + j] = requantizeUint8(v, r);
      } else {
        static_cast<float*>(out)[i * ldo + j] = r.offset != nullptr ? v + r.offset[j0 + j] : v;
      }
    }
  }
}

void runScalar(const uint8_t* a, int64_t lda, int rows, int64_t k, const int8_t* w, int64_t, int cols,
               const Requant& r, int64_t j0, void* out, int64_t ldo) {
  int32_t acc[kMr][kInt8PanelWidth];
  accumulate(a, lda, rows, k, w, acc);
  store(acc, rows, cols, r, j0, out, ldo);
}

// Tiles of kMr windowed maxima: the rows of window position t are a + t · lda, window · lda apart.
void runMaxScalar(const uint8_t* a, int64_t lda, int64_t rows, int64_t window, int64_t k, const int8_t* w, int64_t,
                  int cols, const Requant& r, int64_t j0, uint8_t* out, int64_t ldo) {
  for (int64_t i0 = 0; i0 < rows; i0 += kMr) {
    const int tileRowCount = static_cast<int>(std::min<int64_t>(kMr, rows - i0));
    const uint8_t* tile = a + i0 * window * lda;
    int32_t best[kMr][kInt8PanelWidth];
    accumulate(tile, window * lda, tileRowCount, k, w, best);
    for (int64_t t = 1; t < window; ++t) {
      int32_t acc[kMr][kInt8PanelWidth];
      accumulate(tile + t * lda, window * lda, tileRowCount, k, w, acc);
      for (int i = 0; i < tileRowCount; ++i) {
        for (int j = 0; j < kInt8PanelWidth; ++j) best[i][j] = std::max(best[i][j], acc[i][j]);
      }
    }
    store(best, tileRowCount, cols, r, j0, out + i0 * ldo, ldo);
  }
}

}  // namespace

const Int8MicroKernel& int8ScalarMicroKernel() {
  static const Int8MicroKernel kernel{Int8Isa::kScalar, kMr, kInt8PanelWidth, runScalar, runMaxScalar, kMr};
  return kernel;
}

}  // namespace kiln
