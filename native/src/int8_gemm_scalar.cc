// Portable int8 micro-kernel: plain C++ over the packed panels, for CPUs without AVX2 (and the reference
// the SIMD kernels are tested against through the js backend).
#include "int8_kernels.h"

namespace kiln {
namespace {

constexpr int kMr = 4;

void runScalar(const uint8_t* a, int64_t lda, int rows, int64_t k, const int8_t* w, int64_t, int cols,
               const Requant& r, int64_t j0, void* out, int64_t ldo) {
  int32_t acc[kMr][kInt8PanelWidth] = {};
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

}  // namespace

const Int8MicroKernel& int8ScalarMicroKernel() {
  static const Int8MicroKernel kernel{Int8Isa::kScalar, kMr, kInt8PanelWidth, runScalar};
  return kernel;
}

}  // namespace kiln
