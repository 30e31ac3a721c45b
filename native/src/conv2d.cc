#include "conv2d.h"

#include <algorithm>
#include <vector>

#include "aligned_buffer.h"
#include "gemm.h"

namespace kiln {
namespace {

// Sizes derived from a geometry that every entry point needs.
struct Layout {
  int64_t cinG;      // input channels per group
  int64_t coutG;     // output channels per group
  int64_t kSize;     // rows of the column matrix: cinG · kernelH · kernelW
  int64_t inPlane;   // inH · inW
  int64_t outPlane;  // outH · outW
  bool direct;       // the column matrix of an image is the input itself
};

Layout layoutOf(const ConvGeometry& g) {
  const bool direct = g.kernelH == 1 && g.kernelW == 1 && g.strideH == 1 && g.strideW == 1 && g.padTop == 0 &&
                      g.padLeft == 0 && g.outH == g.inH && g.outW == g.inW;
  const int64_t cinG = g.inChannels / g.groups;
  return Layout{cinG, g.outChannels / g.groups, cinG * g.kernelH * g.kernelW, g.inH * g.inW, g.outH * g.outW, direct};
}

// Work is spread over images and groups when there are enough of them to keep every thread busy;
// otherwise each GEMM is spread over the threads instead.
bool splitOverImages(const ThreadPool& pool, int64_t tasks) {
  return pool.threads() > 1 && !ThreadPool::insideTask() && tasks >= 2 * pool.threads();
}

// The column matrix of the calling thread, reused across calls.
float* columnScratch(size_t size) {
  static thread_local AlignedBuffer buffer;
  return buffer.reserve(size);
}

// Output positions [start, end) along one axis whose input coordinate o · stride − pad + offset lies in
// [0, size).
void validRange(int64_t size, int64_t stride, int64_t pad, int64_t offset, int64_t outSize, int64_t* start,
                int64_t* end) {
  const int64_t shift = pad - offset;
  // Ceiling and floor division that are right for negative numerators too.
  const auto ceilDiv = [](int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); };
  const auto floorDiv = [](int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); };
  *start = std::min(outSize, std::max<int64_t>(0, ceilDiv(shift, stride)));
  *end = std::max(*start, std::min(outSize, floorDiv(size - 1 + shift, stride) + 1));
}

// For each kernel row (kh) and column (kw), the output rows and columns whose tap lands inside the input;
// the others read padding. Worked out once per call: the divisions would otherwise dominate im2col.
struct TapRanges {
  std::vector<int64_t> rowStart, rowEnd, colStart, colEnd;
};

TapRanges tapRanges(const ConvGeometry& g) {
  TapRanges r{std::vector<int64_t>(g.kernelH), std::vector<int64_t>(g.kernelH), std::vector<int64_t>(g.kernelW),
              std::vector<int64_t>(g.kernelW)};
  for (int64_t kh = 0; kh < g.kernelH; ++kh) {
    validRange(g.inH, g.strideH, g.padTop, kh * g.dilationH, g.outH, &r.rowStart[kh], &r.rowEnd[kh]);
  }
  for (int64_t kw = 0; kw < g.kernelW; ++kw) {
    validRange(g.inW, g.strideW, g.padLeft, kw * g.dilationW, g.outW, &r.colStart[kw], &r.colEnd[kw]);
  }
  return r;
}

// Unfolds cinG channels of one image and group into col[kSize × outPlane], zeros where taps hit padding.
void im2col(const ConvGeometry& g, const TapRanges& taps, int64_t cinG, const float* x, float* col) {
  const int64_t outPlane = g.outH * g.outW;
  for (int64_t c = 0; c < cinG; ++c) {
    const float* plane = x + c * g.inH * g.inW;
    for (int64_t kh = 0; kh < g.kernelH; ++kh) {
      const int64_t ohStart = taps.rowStart[kh], ohEnd = taps.rowEnd[kh];
      for (int64_t kw = 0; kw < g.kernelW; ++kw, col += outPlane) {
        const int64_t owStart = taps.colStart[kw], owEnd = taps.colEnd[kw];
        const bool padded = owStart > 0 || owEnd < g.outW;
        std::fill(col, col + ohStart * g.outW, 0.0f);
        for (int64_t oh = ohStart; oh < ohEnd; ++oh) {
          float* dst = col + oh * g.outW;
          const float* src = plane + (oh * g.strideH - g.padTop + kh * g.dilationH) * g.inW - g.padLeft + kw * g.dilationW;
          if (padded) std::fill(dst, dst + owStart, 0.0f);
          if (g.strideW == 1) {
            std::copy(src + owStart, src + owEnd, dst + owStart);
          } else {
            for (int64_t ow = owStart; ow < owEnd; ++ow) dst[ow] = src[ow * g.strideW];
          }
          if (padded) std::fill(dst + owEnd, dst + g.outW, 0.0f);
        }
        std::fill(col + ohEnd * g.outW, col + outPlane, 0.0f);
      }
    }
  }
}

// Adjoint of im2col: overwrites cinG channels of dx with the sums of their column entries.
void col2im(const ConvGeometry& g, const TapRanges& taps, int64_t cinG, const float* col, float* dx) {
  std::fill(dx, dx + cinG * g.inH * g.inW, 0.0f);
  for (int64_t c = 0; c < cinG; ++c) {
    float* plane = dx + c * g.inH * g.inW;
    for (int64_t kh = 0; kh < g.kernelH; ++kh) {
      for (int64_t kw = 0; kw < g.kernelW; ++kw, col += g.outH * g.outW) {
        const int64_t owStart = taps.colStart[kw], owEnd = taps.colEnd[kw];
        for (int64_t oh = taps.rowStart[kh]; oh < taps.rowEnd[kh]; ++oh) {
          const float* src = col + oh * g.outW;
          float* dst = plane + (oh * g.strideH - g.padTop + kh * g.dilationH) * g.inW - g.padLeft + kw * g.dilationW;
          for (int64_t ow = owStart; ow < owEnd; ++ow) dst[ow * g.strideW] += src[ow];
        }
      }
    }
  }
}

// Runs task(image, group) for every pair, spread over images and groups or one after another.
template <typename Task>
void forEachImageAndGroup(ThreadPool& pool, const ConvGeometry& g, const Task& task) {
  const int64_t tasks = g.batch * g.groups;
  if (splitOverImages(pool, tasks)) {
    pool.parallelFor(tasks, [&](int64_t t) { task(t / g.groups, t % g.groups); });
  } else {
    for (int64_t t = 0; t < tasks; ++t) task(t / g.groups, t % g.groups);
  }
}

}  // namespace

void conv2dForward(const MicroKernel& kernel, ThreadPool& pool, const ConvGeometry& g, const float* x, const float* w,
                   const float* bias, float* out) {
  const Layout l = layoutOf(g);
  const TapRanges taps = tapRanges(g);
  forEachImageAndGroup(pool, g, [&](int64_t n, int64_t grp) {
    const float* xImage = x + (n * g.inChannels + grp * l.cinG) * l.inPlane;
    float* outImage = out + (n * g.outChannels + grp * l.coutG) * l.outPlane;
    const float* columns = xImage;
    if (!l.direct) {
      float* col = columnScratch(static_cast<size_t>(l.kSize * l.outPlane));
      im2col(g, taps, l.cinG, xImage, col);
      columns = col;
    }
    // The bias is written first and the GEMM accumulates onto it, so it costs no extra pass afterwards.
    if (bias != nullptr) {
      for (int64_t oc = 0; oc < l.coutG; ++oc) {
        std::fill(outImage + oc * l.outPlane, outImage + (oc + 1) * l.outPlane, bias[grp * l.coutG + oc]);
      }
    }
    gemm(kernel, pool, l.coutG, l.outPlane, l.kSize, 1.0f, MatrixRef{w + grp * l.coutG * l.kSize, l.kSize, false},
         MatrixRef{columns, l.outPlane, false}, bias != nullptr ? 1.0f : 0.0f, outImage, l.outPlane);
  });
}

void conv2dBackwardInput(const MicroKernel& kernel, ThreadPool& pool, const ConvGeometry& g, const float* dy,
                         const float* w, float* dx) {
  const Layout l = layoutOf(g);
  const TapRanges taps = tapRanges(g);
  forEachImageAndGroup(pool, g, [&](int64_t n, int64_t grp) {
    float* dxImage = dx + (n * g.inChannels + grp * l.cinG) * l.inPlane;
    const MatrixRef wT{w + grp * l.coutG * l.kSize, l.kSize, true};
    const MatrixRef dyImage{dy + (n * g.outChannels + grp * l.coutG) * l.outPlane, l.outPlane, false};
    if (l.direct) {
      gemm(kernel, pool, l.kSize, l.outPlane, l.coutG, 1.0f, wT, dyImage, 0.0f, dxImage, l.outPlane);
      return;
    }
    float* dcol = columnScratch(static_cast<size_t>(l.kSize * l.outPlane));
    gemm(kernel, pool, l.kSize, l.outPlane, l.coutG, 1.0f, wT, dyImage, 0.0f, dcol, l.outPlane);
    col2im(g, taps, l.cinG, dcol, dxImage);
  });
}

void conv2dBackwardWeight(const MicroKernel& kernel, ThreadPool& pool, const ConvGeometry& g, const float* x,
                          const float* dy, float* dw) {
  const Layout l = layoutOf(g);
  const TapRanges taps = tapRanges(g);
  const int64_t dwSize = g.outChannels * l.kSize;
  std::fill(dw, dw + dwSize, 0.0f);
  // dw_g (coutG × kSize) = Σ_images dy_g · colᵀ. With few kernel taps (a first layer on one input channel
  // has 9) the micro-kernel's wide column tiles would be mostly padding, so when it wastes less the
  // transposed product dw_gᵀ = col · dy_gᵀ is computed instead and transposed at the end.
  const auto padded = [](int64_t size, int64_t tile) { return (size + tile - 1) / tile * tile; };
  const bool transposed = padded(l.kSize, kernel.mr) * padded(l.coutG, kernel.nr) <
                          padded(l.coutG, kernel.mr) * padded(l.kSize, kernel.nr);
  // Adds the gradient of images [first, last) into acc, shaped like dw (or like its per-group transpose).
  const auto accumulate = [&](int64_t first, int64_t last, float* acc) {
    for (int64_t n = first; n < last; ++n) {
      for (int64_t grp = 0; grp < g.groups; ++grp) {
        const float* xImage = x + (n * g.inChannels + grp * l.cinG) * l.inPlane;
        const float* columns = xImage;
        if (!l.direct) {
          float* col = columnScratch(static_cast<size_t>(l.kSize * l.outPlane));
          im2col(g, taps, l.cinG, xImage, col);
          columns = col;
        }
        const float* dyImage = dy + (n * g.outChannels + grp * l.coutG) * l.outPlane;
        float* accGroup = acc + grp * l.coutG * l.kSize;
        if (transposed) {
          gemm(kernel, pool, l.kSize, l.coutG, l.outPlane, 1.0f, MatrixRef{columns, l.outPlane, false},
               MatrixRef{dyImage, l.outPlane, true}, 1.0f, accGroup, l.coutG);
        } else {
          gemm(kernel, pool, l.coutG, l.kSize, l.outPlane, 1.0f, MatrixRef{dyImage, l.outPlane, false},
               MatrixRef{columns, l.outPlane, true}, 1.0f, accGroup, l.kSize);
        }
      }
    }
  };
  // Each part of the batch sums into its own buffer; the buffers are added into dw in a fixed order, so
  // results do not depend on timing. A few parts per thread let an idle thread take over the work of one
  // that the OS has descheduled.
  const int64_t parts = splitOverImages(pool, g.batch) ? std::min<int64_t>(g.batch, 4 * pool.threads()) : 1;
  const bool inPlace = parts == 1 && !transposed;
  std::vector<float> partials(static_cast<size_t>(inPlace ? 0 : parts * dwSize), 0.0f);
  if (inPlace) {
    accumulate(0, g.batch, dw);
    return;
  }
  pool.parallelFor(parts, [&](int64_t part) {
    accumulate(g.batch * part / parts, g.batch * (part + 1) / parts, partials.data() + part * dwSize);
  });
  for (int64_t part = 0; part < parts; ++part) {
    const float* partial = partials.data() + part * dwSize;
    if (!transposed) {
      for (int64_t i = 0; i < dwSize; ++i) dw[i] += partial[i];
      continue;
    }
    for (int64_t grp = 0; grp < g.groups; ++grp) {
      const float* source = partial + grp * l.coutG * l.kSize;
      float* target = dw + grp * l.coutG * l.kSize;
      for (int64_t oc = 0; oc < l.coutG; ++oc) {
        for (int64_t k = 0; k < l.kSize; ++k) target[oc * l.kSize + k] += source[k * l.coutG + oc];
      }
    }
  }
}

}  // namespace kiln
