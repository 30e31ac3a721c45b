// Portable micro-kernel: plain C++ that any compiler vectorizes for its baseline (SSE2, NEON).
#include "gemm_kernels.h"

namespace kiln {
namespace {

constexpr int kMr = 4;
constexpr int kNr = 8;

void runScalar(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int rows, int cols, float alpha,
               float beta) {
  float acc[kMr][kNr] = {};
  for (int64_t p = 0; p < kc; ++p) {
    for (int r = 0; r < kMr; ++r) {
      const float ar = a[r];
      for (int j = 0; j < kNr; ++j) acc[r][j] += ar * b[j];
    }
    a += kMr;
    b += kNr;
  }
  for (int r = 0; r < rows; ++r) {
    float* row = c + r * ldc;
    if (beta == 0.0f) {
      for (int j = 0; j < cols; ++j) row[j] = alpha * acc[r][j];
    } else {
      for (int j = 0; j < cols; ++j) row[j] = alpha * acc[r][j] + beta * row[j];
    }
  }
}

}  // namespace

const MicroKernel& scalarMicroKernel() {
  static const MicroKernel kernel{Isa::kScalar, kMr, kNr, 128, 256, 2048, runScalar};
  return kernel;
}

}  // namespace kiln
