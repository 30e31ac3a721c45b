#include "pool2d.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

namespace kiln {
namespace {

// Planes per task: enough work to be worth handing to another thread.
constexpr int64_t kMinElementsPerTask = 16384;

// One axis of a window: [start, end) clipped to the input, and the window's length clipped only to the
// padded input, which is what PyTorch's count_include_pad divides by (end = min(start + kernel, size + pad)).
struct WindowRange {
  int64_t start;
  int64_t end;
  int64_t padded;
};

WindowRange windowRange(int64_t o, int64_t stride, int64_t pad, int64_t kernel, int64_t size) {
  const int64_t start = o * stride - pad;
  const int64_t paddedEnd = std::min(start + kernel, size + pad);
  const int64_t clippedStart = std::max<int64_t>(start, 0);
  return WindowRange{clippedStart, std::max(clippedStart, std::min(paddedEnd, size)), paddedEnd - start};
}

// The window ranges of every output position along one axis.
std::vector<WindowRange> windowRanges(int64_t outSize, int64_t stride, int64_t pad, int64_t kernel, int64_t size) {
  std::vector<WindowRange> ranges(static_cast<size_t>(outSize));
  for (int64_t o = 0; o < outSize; ++o) ranges[static_cast<size_t>(o)] = windowRange(o, stride, pad, kernel, size);
  return ranges;
}

// Folds x into the running maximum (best, bestIndex) in the window scan order: a later NaN wins, and
// NaN never compares greater, so it needs its own clause (this file is built without -ffast-math). The
// update uses masks rather than branches, which random data would make unpredictable.
inline void foldMax(float v, int32_t index, float& best, int32_t& bestIndex) {
  const int32_t take = -static_cast<int32_t>((v > best) | (v != v));
  uint32_t vBits, bestBits;
  std::memcpy(&vBits, &v, sizeof vBits);
  std::memcpy(&bestBits, &best, sizeof bestBits);
  bestBits ^= (bestBits ^ vBits) & static_cast<uint32_t>(take);
  std::memcpy(&best, &bestBits, sizeof best);
  bestIndex ^= (bestIndex ^ index) & take;
}

// Max pooling of one plane, given the window ranges of every output row and column; argmax may be null.
void maxPoolPlane(const float* x, int64_t inW, const std::vector<WindowRange>& rows,
                  const std::vector<WindowRange>& columns, float* out, int32_t* argmax) {
  for (const WindowRange& h : rows) {
    for (const WindowRange& w : columns) {
      float best = -std::numeric_limits<float>::infinity();
      // Starting at the window's first element makes a window of -Infinity still point into it.
      int32_t bestIndex = h.start < h.end && w.start < w.end ? static_cast<int32_t>(h.start * inW + w.start) : -1;
      for (int64_t ih = h.start; ih < h.end; ++ih) {
        for (int64_t iw = w.start; iw < w.end; ++iw) {
          const int64_t index = ih * inW + iw;
          foldMax(x[index], static_cast<int32_t>(index), best, bestIndex);
        }
      }
      *out++ = best;
      if (argmax != nullptr) *argmax++ = bestIndex;
    }
  }
}


// Max pooling of one plane with 2 × 2 windows at stride 2. Same result as maxPoolPlane: folding a window's
// first element into -Infinity always yields that element and its index, and the other three follow in
// scan order. Without the window bookkeeping each output costs a few compares and blends.
void maxPoolPairPlane(const float* x, int64_t inW, int64_t outH, int64_t outW, float* out, int32_t* argmax) {
  for (int64_t oh = 0; oh < outH; ++oh) {
    const float* top = x + 2 * oh * inW;
    const float* bottom = top + inW;
    const int32_t rowIndex = static_cast<int32_t>(2 * oh * inW);
    for (int64_t ow = 0; ow < outW; ++ow) {
      const int32_t index = rowIndex + static_cast<int32_t>(2 * ow);
      float best = top[2 * ow];
      int32_t bestIndex = index;
      foldMax(top[2 * ow + 1], index + 1, best, bestIndex);
      foldMax(bottom[2 * ow], index + static_cast<int32_t>(inW), best, bestIndex);
      foldMax(bottom[2 * ow + 1], index + static_cast<int32_t>(inW) + 1, best, bestIndex);
      out[ow] = best;
      argmax[ow] = bestIndex;
    }
    out += outW;
    argmax += outW;
  }
}

// Runs planeTask(first, last) over ranges of the batch · channels planes, in parallel when large enough.
template <typename PlaneTask>
void forEachPlaneRange(ThreadPool& pool, const PoolGeometry& g, const PlaneTask& planeTask) {
  const int64_t planes = g.batch * g.channels;
  const int64_t perPlane = std::max<int64_t>(1, g.inH * g.inW + g.outH * g.outW);
  const int64_t tasks =
      std::max<int64_t>(1, std::min<int64_t>(planes, planes * perPlane / kMinElementsPerTask));
  if (tasks == 1) return planeTask(0, planes);
  pool.parallelFor(tasks, [&](int64_t t) { planeTask(planes * t / tasks, planes * (t + 1) / tasks); });
}

}  // namespace

bool isPairPooling(const PoolGeometry& g) {
  return g.kernelH == 2 && g.kernelW == 2 && g.strideH == 2 && g.strideW == 2 && g.padH == 0 && g.padW == 0 &&
         2 * g.outH <= g.inH && 2 * g.outW <= g.inW;
}

void maxPool2d(const MicroKernel& kernel, ThreadPool& pool, const PoolGeometry& g, const float* x, float* out,
               int32_t* argmax) {
  const int64_t inPlane = g.inH * g.inW;
  const int64_t outPlane = g.outH * g.outW;
  if (argmax == nullptr) {
    forEachPlaneRange(pool, g, [&](int64_t first, int64_t last) {
      maxPoolPlanes(kernel, g, x + first * inPlane, last - first, out + first * outPlane);
    });
    return;
  }
  if (isPairPooling(g)) {
    forEachPlaneRange(pool, g, [&](int64_t first, int64_t last) {
      for (int64_t plane = first; plane < last; ++plane) {
        maxPoolPairPlane(x + plane * inPlane, g.inW, g.outH, g.outW, out + plane * outPlane, argmax + plane * outPlane);
      }
    });
    return;
  }
  const std::vector<WindowRange> rows = windowRanges(g.outH, g.strideH, g.padH, g.kernelH, g.inH);
  const std::vector<WindowRange> columns = windowRanges(g.outW, g.strideW, g.padW, g.kernelW, g.inW);
  forEachPlaneRange(pool, g, [&](int64_t first, int64_t last) {
    for (int64_t plane = first; plane < last; ++plane) {
      maxPoolPlane(x + plane * inPlane, g.inW, rows, columns, out + plane * outPlane,
                   argmax == nullptr ? nullptr : argmax + plane * outPlane);
    }
  });
}

void maxPoolPlanes(const MicroKernel& kernel, const PoolGeometry& g, const float* x, int64_t planes, float* out) {
  const int64_t inPlane = g.inH * g.inW;
  const int64_t outPlane = g.outH * g.outW;
  if (isPairPooling(g)) return kernel.maxPoolPairs(x, planes, inPlane, g.inW, g.outH, g.outW, out, outPlane);
  const std::vector<WindowRange> rows = windowRanges(g.outH, g.strideH, g.padH, g.kernelH, g.inH);
  const std::vector<WindowRange> columns = windowRanges(g.outW, g.strideW, g.padW, g.kernelW, g.inW);
  for (int64_t plane = 0; plane < planes; ++plane) {
    maxPoolPlane(x + plane * inPlane, g.inW, rows, columns, out + plane * outPlane, nullptr);
  }
}

void maxPool2dBackward(ThreadPool& pool, const PoolGeometry& g, const float* dy, const int32_t* argmax, float* dx) {
  const int64_t inPlane = g.inH * g.inW;
  const int64_t outPlane = g.outH * g.outW;
  forEachPlaneRange(pool, g, [&](int64_t first, int64_t last) {
    std::fill(dx + first * inPlane, dx + last * inPlane, 0.0f);
    for (int64_t plane = first; plane < last; ++plane) {
      float* dxPlane = dx + plane * inPlane;
      for (int64_t o = plane * outPlane; o < (plane + 1) * outPlane; ++o) {
        // Entries outside the plane (never written by maxPool2d) are skipped rather than written out of bounds.
        if (argmax[o] >= 0 && argmax[o] < inPlane) dxPlane[argmax[o]] += dy[o];
      }
    }
  });
}

void avgPool2d(ThreadPool& pool, const PoolGeometry& g, bool countIncludePad, const float* x, float* out) {
  const std::vector<WindowRange> rows = windowRanges(g.outH, g.strideH, g.padH, g.kernelH, g.inH);
  const std::vector<WindowRange> columns = windowRanges(g.outW, g.strideW, g.padW, g.kernelW, g.inW);
  const int64_t inPlane = g.inH * g.inW;
  const int64_t outPlane = g.outH * g.outW;
  forEachPlaneRange(pool, g, [&](int64_t first, int64_t last) {
    for (int64_t plane = first; plane < last; ++plane) {
      const float* xPlane = x + plane * inPlane;
      int64_t o = plane * outPlane;
      for (const WindowRange& h : rows) {
        for (const WindowRange& w : columns) {
          // Summing in double, as the js backend does, gives identical results.
          double sum = 0;
          for (int64_t ih = h.start; ih < h.end; ++ih) {
            for (int64_t iw = w.start; iw < w.end; ++iw) sum += xPlane[ih * g.inW + iw];
          }
          const int64_t count = (h.end - h.start) * (w.end - w.start);
          const int64_t divisor = countIncludePad ? h.padded * w.padded : count;
          out[o++] = count == 0 ? 0.0f : static_cast<float>(sum / static_cast<double>(divisor));
        }
      }
    }
  });
}

void avgPool2dBackward(ThreadPool& pool, const PoolGeometry& g, bool countIncludePad, const float* dy, float* dx) {
  const std::vector<WindowRange> rows = windowRanges(g.outH, g.strideH, g.padH, g.kernelH, g.inH);
  const std::vector<WindowRange> columns = windowRanges(g.outW, g.strideW, g.padW, g.kernelW, g.inW);
  const int64_t inPlane = g.inH * g.inW;
  const int64_t outPlane = g.outH * g.outW;
  forEachPlaneRange(pool, g, [&](int64_t first, int64_t last) {
    std::fill(dx + first * inPlane, dx + last * inPlane, 0.0f);
    for (int64_t plane = first; plane < last; ++plane) {
      float* dxPlane = dx + plane * inPlane;
      int64_t o = plane * outPlane;
      for (const WindowRange& h : rows) {
        for (const WindowRange& w : columns) {
          const int64_t divisor = countIncludePad ? h.padded * w.padded : (h.end - h.start) * (w.end - w.start);
          const double share = static_cast<double>(dy[o++]) / static_cast<double>(divisor);
          for (int64_t ih = h.start; ih < h.end; ++ih) {
            float* row = dxPlane + ih * g.inW;
            for (int64_t iw = w.start; iw < w.end; ++iw) row[iw] = static_cast<float>(row[iw] + share);
          }
        }
      }
    }
  });
}

}  // namespace kiln
