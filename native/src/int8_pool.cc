#include "int8_pool.h"

#include <algorithm>
#include <cmath>
#include <vector>

#if KILN_X86_KERNELS
#include <immintrin.h>
#endif

namespace kiln {
namespace {

// Output elements per task: enough work to be worth handing to another thread.
constexpr int64_t kMinElementsPerTask = 16384;

// One axis of a window, as in pool2d.cc: [start, end) clipped to the input, and the window's length
// clipped only to the padded input (end = min(start + kernel, size + pad)).
struct WindowRange {
  int64_t start;
  int64_t end;
  int64_t padded;
};

std::vector<WindowRange> windowRanges(int64_t outSize, int64_t stride, int64_t pad, int64_t kernel, int64_t size) {
  std::vector<WindowRange> ranges(static_cast<size_t>(outSize));
  for (int64_t o = 0; o < outSize; ++o) {
    const int64_t start = o * stride - pad;
    const int64_t paddedEnd = std::min(start + kernel, size + pad);
    const int64_t clippedStart = std::max<int64_t>(start, 0);
    ranges[static_cast<size_t>(o)] =
        WindowRange{clippedStart, std::max(clippedStart, std::min(paddedEnd, size)), paddedEnd - start};
  }
  return ranges;
}

// One output row of max pooling: the windows `columns` over input rows `rows` of one image.
using MaxRowFn = void (*)(const uint8_t* image, int64_t inW, int64_t c, const WindowRange& rows,
                          const WindowRange* columns, int64_t outW, uint8_t* out);

#if defined(__GNUC__)
#define KILN_ALWAYS_INLINE __attribute__((always_inline)) inline
#else
#define KILN_ALWAYS_INLINE inline
#endif

// The portable loop, inlined into a build for each instruction set, which vectorizes it over channels.
KILN_ALWAYS_INLINE void maxRowBody(const uint8_t* image, int64_t inW, int64_t c, const WindowRange& rows,
                                   const WindowRange* columns, int64_t outW, uint8_t* out) {
  for (int64_t ow = 0; ow < outW; ++ow, out += c) {
    const WindowRange& w = columns[ow];
    for (int64_t ch = 0; ch < c; ++ch) out[ch] = 0;
    for (int64_t ih = rows.start; ih < rows.end; ++ih) {
      for (int64_t iw = w.start; iw < w.end; ++iw) {
        const uint8_t* src = image + (ih * inW + iw) * c;
        for (int64_t ch = 0; ch < c; ++ch) out[ch] = std::max(out[ch], src[ch]);
      }
    }
  }
}

void maxRowPortable(const uint8_t* image, int64_t inW, int64_t c, const WindowRange& rows, const WindowRange* columns,
                    int64_t outW, uint8_t* out) {
  maxRowBody(image, inW, c, rows, columns, outW, out);
}

#if KILN_X86_KERNELS
__attribute__((target("avx2,fma"))) void maxRowAvx2(const uint8_t* image, int64_t inW, int64_t c,
                                                     const WindowRange& rows, const WindowRange* columns,
                                                     int64_t outW, uint8_t* out) {
  maxRowBody(image, inW, c, rows, columns, outW, out);
}

// 64 channels at a time in one register over the whole window; masked loads and stores for the rest.
__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq"))) void maxRowAvx512(
    const uint8_t* image, int64_t inW, int64_t c, const WindowRange& rows, const WindowRange* columns, int64_t outW,
    uint8_t* out) {
  for (int64_t ow = 0; ow < outW; ++ow, out += c) {
    const WindowRange& w = columns[ow];
    for (int64_t c0 = 0; c0 < c; c0 += 64) {
      const int64_t lanes = std::min<int64_t>(64, c - c0);
      const __mmask64 mask = lanes == 64 ? ~__mmask64{0} : (__mmask64{1} << lanes) - 1;
      __m512i best = _mm512_setzero_si512();
      for (int64_t ih = rows.start; ih < rows.end; ++ih) {
        const uint8_t* src = image + (ih * inW + w.start) * c + c0;
        for (int64_t iw = w.start; iw < w.end; ++iw, src += c) {
          best = _mm512_max_epu8(best, _mm512_maskz_loadu_epi8(mask, src));
        }
      }
      _mm512_mask_storeu_epi8(out + c0, mask, best);
    }
  }
}
#endif

MaxRowFn maxRowFor(Int8Isa isa) {
#if KILN_X86_KERNELS
  if (isa == Int8Isa::kAvx512 || isa == Int8Isa::kAvx512Vnni) return maxRowAvx512;
  if (isa == Int8Isa::kAvx2) return maxRowAvx2;
#endif
  (void)isa;
  return maxRowPortable;
}

// Runs rowTask(first, last) over ranges of the batch · outH output rows, in parallel when large enough.
template <typename RowTask>
void forEachRowRange(ThreadPool& pool, const PoolGeometry& g, const RowTask& rowTask) {
  const int64_t rows = g.batch * g.outH;
  const int64_t perRow = std::max<int64_t>(1, g.outW * g.channels);
  const int64_t tasks = std::max<int64_t>(1, std::min<int64_t>(rows, rows * perRow / kMinElementsPerTask));
  if (tasks == 1 || pool.threads() == 1 || ThreadPool::insideTask()) return rowTask(0, rows);
  pool.parallelFor(tasks, [&](int64_t t) { rowTask(rows * t / tasks, rows * (t + 1) / tasks); });
}

// The js formula floor((2 · sum + count) / (2 · count)) as a Uint8Array stores it.
uint8_t roundedMean(int64_t sum, int64_t count) {
  // sum ≥ 0 and sum ≤ 255 · count here, so integer division is the floor and the result fits.
  if (count > 0) return static_cast<uint8_t>((2 * sum + count) / (2 * count));
  // A window beyond the padded input (no caller makes one): NaN and ±Infinity store 0, any other value
  // wraps modulo 256.
  const double mean = std::floor((2.0 * static_cast<double>(sum) + static_cast<double>(count)) /
                                 (2.0 * static_cast<double>(count)));
  return std::isfinite(mean) ? static_cast<uint8_t>(static_cast<int64_t>(mean) & 0xFF) : 0;
}

}  // namespace

void qmaxPool2d(Int8Isa isa, ThreadPool& pool, const PoolGeometry& g, const uint8_t* x, uint8_t* out) {
  const std::vector<WindowRange> rows = windowRanges(g.outH, g.strideH, g.padH, g.kernelH, g.inH);
  const std::vector<WindowRange> columns = windowRanges(g.outW, g.strideW, g.padW, g.kernelW, g.inW);
  const MaxRowFn maxRow = maxRowFor(isa);
  const int64_t imageSize = g.inH * g.inW * g.channels;
  const int64_t rowSize = g.outW * g.channels;
  forEachRowRange(pool, g, [&](int64_t first, int64_t last) {
    for (int64_t row = first; row < last; ++row) {
      const int64_t image = row / g.outH;
      maxRow(x + image * imageSize, g.inW, g.channels, rows[static_cast<size_t>(row % g.outH)], columns.data(), g.outW,
             out + row * rowSize);
    }
  });
}

void qavgPool2d(ThreadPool& pool, const PoolGeometry& g, bool countIncludePad, uint8_t zeroPoint, const uint8_t* x,
                uint8_t* out) {
  const std::vector<WindowRange> rows = windowRanges(g.outH, g.strideH, g.padH, g.kernelH, g.inH);
  const std::vector<WindowRange> columns = windowRanges(g.outW, g.strideW, g.padW, g.kernelW, g.inW);
  const int64_t c = g.channels;
  const int64_t imageSize = g.inH * g.inW * c;
  forEachRowRange(pool, g, [&](int64_t first, int64_t last) {
    std::vector<int64_t> sums(static_cast<size_t>(c));
    for (int64_t row = first; row < last; ++row) {
      const uint8_t* image = x + (row / g.outH) * imageSize;
      const WindowRange& h = rows[static_cast<size_t>(row % g.outH)];
      uint8_t* o = out + row * g.outW * c;
      for (const WindowRange& w : columns) {
        const int64_t real = (h.end - h.start) * (w.end - w.start);
        const int64_t count = countIncludePad ? h.padded * w.padded : real;
        // With countIncludePad the padded positions of the window add the zero point each.
        std::fill(sums.begin(), sums.end(), countIncludePad ? (count - real) * zeroPoint : 0);
        for (int64_t ih = h.start; ih < h.end; ++ih) {
          for (int64_t iw = w.start; iw < w.end; ++iw) {
            const uint8_t* src = image + (ih * g.inW + iw) * c;
            for (int64_t ch = 0; ch < c; ++ch) sums[static_cast<size_t>(ch)] += src[ch];
          }
        }
        for (int64_t ch = 0; ch < c; ++ch) *o++ = roundedMean(sums[static_cast<size_t>(ch)], count);
      }
    }
  });
}

}  // namespace kiln
