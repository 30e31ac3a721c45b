// The portable kernel family: plain C++ that any compiler vectorizes for its baseline (SSE2, NEON). Its
// packing, gathering and pooling routines also serve the AVX2 family, whose gains are in the micro-kernel.
#include <algorithm>

#include "gemm_kernels.h"

namespace kiln {
namespace {

constexpr int kMr = 4;
constexpr int kNr = 8;

void runScalar(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int rows, int cols, float alpha,
               float beta, const TileEpilogue* epilogue) {
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
    if (epilogue != nullptr) {
      const float bias = epilogue->rowBias != nullptr ? epilogue->rowBias[r] : 0.0f;
      for (int j = 0; j < cols; ++j) {
        const float v = epilogue->rowBias != nullptr ? row[j] + bias : row[j];
        // v ≤ 0 is false for NaN, which so stays, and true for −0, which becomes +0.
        row[j] = epilogue->relu && v <= 0.0f ? 0.0f : v;
      }
    }
  }
}

void rowDotsScalar(int m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb, float* c,
                   int64_t ldc, float alpha, float beta) {
  for (int64_t j = 0; j < n; ++j) {
    const float* column = b + j * ldb;
    for (int i = 0; i < m; ++i) {
      const float* row = a + i * lda;
      // Four partial sums, so the loop vectorizes without reassociating floating-point addition.
      float s[4] = {};
      int64_t p = 0;
      for (; p + 4 <= k; p += 4) {
        for (int t = 0; t < 4; ++t) s[t] += row[p + t] * column[p + t];
      }
      for (; p < k; ++p) s[0] += row[p] * column[p];
      const float dot = (s[0] + s[1]) + (s[2] + s[3]);
      float* out = c + i * ldc + j;
      *out = beta == 0.0f ? alpha * dot : alpha * dot + beta * *out;
    }
  }
}

}  // namespace

void packRowsPortable(const float* src, int64_t ld, int64_t rows, int64_t depth, int width, float* dst) {
  for (int64_t i0 = 0; i0 < rows; i0 += width, dst += depth * width) {
    const int64_t panelRows = std::min<int64_t>(width, rows - i0);
    // Row by row: the reads run along a row, the writes stay inside one panel in cache.
    for (int64_t r = 0; r < width; ++r) {
      const float* row = src + (i0 + r) * ld;
      for (int64_t p = 0; p < depth; ++p) dst[p * width + r] = r < panelRows ? row[p] : 0.0f;
    }
  }
}

void maxPoolPairsPortable(const float* x, int64_t planes, int64_t inPlane, int64_t inW, int64_t outH, int64_t outW,
                          float* out, int64_t outPlane) {
  // pool2d's fold: the later value wins when it is greater or NaN.
  const auto fold = [](float best, float v) { return (v > best) | (v != v) ? v : best; };
  for (int64_t plane = 0; plane < planes; ++plane) {
    const float* xPlane = x + plane * inPlane;
    float* outRow = out + plane * outPlane;
    for (int64_t oh = 0; oh < outH; ++oh, outRow += outW) {
      const float* top = xPlane + 2 * oh * inW;
      const float* bottom = top + inW;
      for (int64_t ow = 0; ow < outW; ++ow) {
        const float best = fold(top[2 * ow], top[2 * ow + 1]);
        outRow[ow] = fold(fold(best, bottom[2 * ow]), bottom[2 * ow + 1]);
      }
    }
  }
}

void gatherPanelPortable(const float* planes, int64_t planeStride, int64_t srcStride, int64_t channels, int taps,
                         const PanelRun* runs, const int32_t* runStart, int nr, float* panel) {
  float* row = panel;
  for (int64_t c = 0; c < channels; ++c) {
    const float* plane = planes + c * planeStride;
    for (int t = 0; t < taps; ++t, row += nr) {
      std::fill(row, row + nr, 0.0f);
      for (int32_t r = runStart[t]; r < runStart[t + 1]; ++r) {
        const PanelRun run = runs[r];
        const float* src = plane + run.src;
        float* dst = row + run.dst;
        for (int32_t i = 0; i < run.length; ++i) dst[i] = src[i * srcStride];
      }
    }
  }
}

const MicroKernel& scalarMicroKernel() {
  static const MicroKernel kernel{Isa::kScalar, kMr, kNr, 128, 256, 2048, runScalar, rowDotsScalar, gatherPanelPortable,
                                  packRowsPortable, maxPoolPairsPortable, nullptr, nullptr, nullptr};
  return kernel;
}

}  // namespace kiln
