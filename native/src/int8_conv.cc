#include "int8_conv.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <vector>

#include "int8_pool.h"

namespace kiln {
namespace {

// Below this many multiply-adds, waking workers costs more than it saves.
constexpr int64_t kParallelMinWork = int64_t{1} << 21;
// Bytes of unfolded patches per block: the block stays in L1/L2 while the GEMM reads it.
constexpr int64_t kBlockBytes = int64_t{32} << 10;
// Blocks per thread when the work is split: more than one evens out threads slowed by other work.
constexpr int64_t kTasksPerThread = 4;

// The patches of one pooling window beyond which a fused convolution takes the two passes instead: they
// would not stay in cache, and the scratch holds a tile's worth of windows.
constexpr int64_t kMaxWindowBytes = int64_t{1} << 20;

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Bytes a patch copy may write past its run (see copyRun).
constexpr int64_t kCopySlack = 16;

// The patch buffer of the calling thread, reused across calls, with kCopySlack bytes to spare. It is
// zeroed when it grows, so the bytes between k and kp of a row, which only ever receive leftovers of
// copies, are never uninitialized; their value does not matter, as the weights there are zero.
uint8_t* patchScratch(int64_t bytes) {
  struct Buffer {
    uint8_t* data = nullptr;
    int64_t capacity = 0;
    ~Buffer() { std::free(data); }
  };
  static thread_local Buffer buffer;
  if (bytes + kCopySlack > buffer.capacity) {
    void* grown = std::calloc(static_cast<size_t>(bytes + kCopySlack), 1);
    if (grown == nullptr) throw std::bad_alloc();
    std::free(buffer.data);
    buffer.data = static_cast<uint8_t*>(grown);
    buffer.capacity = bytes + kCopySlack;
  }
  return buffer.data;
}

// Copies the n bytes of a tap run, for the short runs of im2col (a few channels, often under 16 bytes)
// where a memcpy call would cost more than the copy. A run of up to 16 bytes moves as one 16-byte block
// when the input has 16 bytes there. Patches are written in address order, so the extra bytes land only
// where later taps and rows will be written, in a row's padding (k to kp) or in the slack.
inline void copyRun(uint8_t* dst, const uint8_t* src, int64_t n, const uint8_t* srcEnd) {
  if (n <= 16 && srcEnd - src >= 16) {
    std::memcpy(dst, src, 16);
  } else {
    std::memcpy(dst, src, static_cast<size_t>(n));
  }
}

// Unfolds the patch of output position (oh, ow) of one image into row: k bytes of taps in kH, kW, Cin
// order, the zero point where a tap falls in the padding. xEnd is the end of the whole input.
inline void unfoldPatch(const ConvGeometry& g, const uint8_t* image, const uint8_t* xEnd, uint8_t zeroPoint,
                        int64_t oh, int64_t ow, uint8_t* row) {
  const int64_t cin = g.inChannels;
  const int64_t run = g.kernelW * cin;
  const int64_t h0 = oh * g.strideH - g.padTop;
  const int64_t w0 = ow * g.strideW - g.padLeft;
  // With no dilation and the whole kernel width inside the input, a kernel row is one contiguous run.
  const bool wholeRows = g.dilationW == 1 && w0 >= 0 && w0 + g.kernelW <= g.inW;
  const int64_t inRow = g.inW * cin;
  if (wholeRows && h0 >= 0 && h0 + (g.kernelH - 1) * g.dilationH < g.inH) {
    // The whole window is inside the input (the common case): one run per kernel row.
    const uint8_t* src = image + h0 * inRow + w0 * cin;
    for (int64_t kh = 0; kh < g.kernelH; ++kh) copyRun(row + kh * run, src + kh * g.dilationH * inRow, run, xEnd);
    return;
  }
  uint8_t* dst = row;
  for (int64_t kh = 0; kh < g.kernelH; ++kh, dst += run) {
    const int64_t h = h0 + kh * g.dilationH;
    if (h < 0 || h >= g.inH) {
      std::memset(dst, zeroPoint, static_cast<size_t>(run));
      continue;
    }
    const uint8_t* src = image + h * inRow;
    if (wholeRows) {
      copyRun(dst, src + w0 * cin, run, xEnd);
      continue;
    }
    for (int64_t kw = 0; kw < g.kernelW; ++kw) {
      const int64_t w = w0 + kw * g.dilationW;
      if (w < 0 || w >= g.inW) {
        std::memset(dst + kw * cin, zeroPoint, static_cast<size_t>(cin));
      } else {
        copyRun(dst + kw * cin, src + w * cin, cin, xEnd);
      }
    }
  }
}

// Unfolds the patches of positions [first, first + count), in (image, oh, ow) order, into rows of kp bytes.
void unfoldPatches(const ConvGeometry& geometry, const uint8_t* x, uint8_t zeroPoint, int64_t kp, int64_t first,
                   int64_t count, uint8_t* patches) {
  // A local copy: the byte stores could alias the caller's geometry, which would then be reloaded per tap.
  const ConvGeometry g = geometry;
  const int64_t outPlane = g.outH * g.outW;
  const int64_t imageSize = g.inH * g.inW * g.inChannels;
  const uint8_t* xEnd = x + g.batch * imageSize;
  int64_t image = first / outPlane;
  int64_t oh = first % outPlane / g.outW;
  int64_t ow = first % g.outW;
  for (int64_t i = 0; i < count; ++i) {
    unfoldPatch(g, x + image * imageSize, xEnd, zeroPoint, oh, ow, patches + i * kp);
    if (++ow == g.outW) {
      ow = 0;
      if (++oh == g.outH) {
        oh = 0;
        ++image;
      }
    }
  }
}

// Unfolds, for pooled outputs [first, first + count) in (image, ph, pw) order, the patches of each window's
// kernelH · kernelW conv positions in row-major order: rows of kp bytes, window after window. Rows are
// written in address order, as copyRun needs.
void unfoldWindows(const ConvGeometry& geometry, const PoolWindow& p, const uint8_t* x, uint8_t zeroPoint, int64_t kp,
                   int64_t first, int64_t count, uint8_t* patches) {
  // Local copies, as in unfoldPatches.
  const ConvGeometry g = geometry;
  const PoolWindow pw = p;
  const int64_t outPlane = pw.outH * pw.outW;
  const int64_t imageSize = g.inH * g.inW * g.inChannels;
  const uint8_t* xEnd = x + g.batch * imageSize;
  int64_t image = first / outPlane;
  int64_t ph = first % outPlane / pw.outW;
  int64_t pc = first % pw.outW;
  uint8_t* row = patches;
  for (int64_t i = 0; i < count; ++i) {
    const uint8_t* src = x + image * imageSize;
    for (int64_t dh = 0; dh < pw.kernelH; ++dh) {
      for (int64_t dw = 0; dw < pw.kernelW; ++dw, row += kp) {
        unfoldPatch(g, src, xEnd, zeroPoint, ph * pw.strideH + dh, pc * pw.strideW + dw, row);
      }
    }
    if (++pc == pw.outW) {
      pc = 0;
      if (++ph == pw.outH) {
        ph = 0;
        ++image;
      }
    }
  }
}

// A convolution of one input channel whose kernel rows each fit one group of 4 taps without lengthening
// the reduction (kernelW ≤ 4 and 4 · kernelH = kp: 3 × 3, the first layer of a CNN on grey images) is
// unfolded with every kernel row in a group of its own, [kH][4] with tap 4 (and any past kernelW) weighted
// 0: a group is then 4 consecutive input bytes, one copy, against one copy per kernel row of a few bytes
// and its bookkeeping.
bool rowGroups(const ConvGeometry& g, int64_t kp) {
  return g.inChannels == 1 && g.dilationW == 1 && g.kernelW <= 4 && 4 * g.kernelH == kp;
}

// The weights reordered for rowGroups, packed with k = 4 · kernelH.
std::vector<int8_t> packRowGroups(const ConvGeometry& g, const PackedInt8& w) {
  const int64_t n = w.n;
  const int64_t kp = int8PaddedK(w.k);
  const int64_t k = 4 * g.kernelH;
  std::vector<int8_t> rows(static_cast<size_t>(n * k), 0);
  for (int64_t j = 0; j < n; ++j) {
    for (int64_t kh = 0; kh < g.kernelH; ++kh) {
      for (int64_t kw = 0; kw < g.kernelW; ++kw) {
        // Element (j, p) of the packed weights: panel j / 16, group p / 4, channel j % 16, tap p % 4.
        const int64_t p = kh * g.kernelW + kw;
        const int64_t panel = j / kInt8PanelWidth * kInt8PanelWidth * kp;
        rows[static_cast<size_t>(j * k + 4 * kh + kw)] =
            w.data[panel + (p / 4 * kInt8PanelWidth + j % kInt8PanelWidth) * 4 + p % 4];
      }
    }
  }
  std::vector<int8_t> packed(static_cast<size_t>(packedInt8Size(n, k)));
  packInt8(rows.data(), n, k, packed.data());
  return packed;
}

// unfoldWindows in the layout of rowGroups: rows of 4 · kernelH bytes. A window whose input lies inside x
// (most of them) is copied group by group from offsets worked out once; the others check every tap.
void unfoldRowGroups(const ConvGeometry& geometry, const PoolWindow& p, const uint8_t* x, uint8_t zeroPoint,
                     int64_t first, int64_t count, uint8_t* patches) {
  const ConvGeometry g = geometry;
  const PoolWindow pw = p;
  // Group q of a window (position dh, dw; kernel row kh) starts this far from the window's first input byte.
  std::vector<int64_t> offsets;
  for (int64_t dh = 0; dh < pw.kernelH; ++dh) {
    for (int64_t dw = 0; dw < pw.kernelW; ++dw) {
      for (int64_t kh = 0; kh < g.kernelH; ++kh) {
        offsets.push_back((dh * g.strideH + kh * g.dilationH) * g.inW + dw * g.strideW);
      }
    }
  }
  const int64_t groups = static_cast<int64_t>(offsets.size());
  // The window's input rows and columns past its first: its kernel rows, and the columns of its kernel
  // columns, plus the bytes past kernelW (weighted 0) that a group's 4-byte copy reads.
  const int64_t spanH = (pw.kernelH - 1) * g.strideH + (g.kernelH - 1) * g.dilationH;
  const int64_t spanW = (pw.kernelW - 1) * g.strideW + g.kernelW - 1;
  const int64_t outPlane = pw.outH * pw.outW;
  const int64_t imageSize = g.inH * g.inW;
  const uint8_t* xEnd = x + g.batch * imageSize;
  int64_t image = first / outPlane;
  int64_t ph = first % outPlane / pw.outW;
  int64_t pc = first % pw.outW;
  uint8_t* row = patches;
  for (int64_t i = 0; i < count; ++i) {
    const uint8_t* src = x + image * imageSize;
    const int64_t h0 = ph * pw.strideH * g.strideH - g.padTop;
    const int64_t w0 = pc * pw.strideW * g.strideW - g.padLeft;
    const uint8_t* base = src + h0 * g.inW + w0;
    if (h0 >= 0 && h0 + spanH < g.inH && w0 >= 0 && w0 + spanW < g.inW && xEnd - base >= spanH * g.inW + spanW + 4) {
      for (int64_t q = 0; q < groups; ++q, row += 4) std::memcpy(row, base + offsets[static_cast<size_t>(q)], 4);
    } else {
      for (int64_t dh = 0; dh < pw.kernelH; ++dh) {
        for (int64_t dw = 0; dw < pw.kernelW; ++dw) {
          const int64_t hp = h0 + dh * g.strideH;
          const int64_t wp = w0 + dw * g.strideW;
          for (int64_t kh = 0; kh < g.kernelH; ++kh, row += 4) {
            const int64_t h = hp + kh * g.dilationH;
            for (int64_t kw = 0; kw < 4; ++kw) {
              const bool inside = h >= 0 && h < g.inH && kw < g.kernelW && wp + kw >= 0 && wp + kw < g.inW;
              row[kw] = inside ? src[h * g.inW + wp + kw] : zeroPoint;
            }
          }
        }
      }
    }
    if (++pc == pw.outW) {
      pc = 0;
      if (++ph == pw.outH) {
        ph = 0;
        ++image;
      }
    }
  }
}

// Whether requantizing the maximum accumulator gives the maximum of the requantized values: each scale is
// positive and finite, so fround(fround(acc + bias) · scale), the rounding and the clamp all keep order.
// (A zero or NaN scale would too, being constant, but no model has one; ±Infinity maps acc + bias = 0 to
// NaN, stored as 0, below min; a negative scale reverses the order.)
bool orderPreserving(const Requant& r, int64_t n) {
  for (int64_t j = 0; j < n; ++j) {
    if (!(r.scale[j] > 0.0f && r.scale[j] <= std::numeric_limits<float>::max())) return false;
  }
  return true;
}

}  // namespace

void qconv2dMaxPool(const Int8MicroKernel& kernel, ThreadPool& pool, const ConvGeometry& g, const PoolWindow& p,
                    const uint8_t* x, uint8_t xZeroPoint, const PackedInt8& w, const Requant& r, uint8_t* out) {
  const int64_t outputs = g.batch * p.outH * p.outW;
  const int64_t n = g.outChannels;
  if (outputs == 0 || n == 0) return;
  const int64_t window = p.kernelH * p.kernelW;
  const int64_t kp = int8PaddedK(w.k);
  const int64_t windowBytes = window * kp;
  if (!orderPreserving(r, n) || windowBytes > kMaxWindowBytes) {
    std::vector<uint8_t> conv(static_cast<size_t>(g.batch * g.outH * g.outW * n));
    qconv2d(kernel, pool, g, x, xZeroPoint, w, r, conv.data());
    const PoolGeometry pg{g.batch, n, g.outH, g.outW, p.kernelH, p.kernelW, p.strideH, p.strideW, 0, 0, p.outH, p.outW};
    return qmaxPool2d(kernel.isa, pool, pg, conv.data(), out);
  }
  const bool grouped = rowGroups(g, kp);
  const std::vector<int8_t> groupedWeights = grouped ? packRowGroups(g, w) : std::vector<int8_t>();
  const int8_t* weights = grouped ? groupedWeights.data() : w.data;
  const bool parallel =
      pool.threads() > 1 && !ThreadPool::insideTask() && outputs * windowBytes * n >= kParallelMinWork;
  int64_t blockRows = std::max<int64_t>(1, kBlockBytes / std::max<int64_t>(windowBytes, 1) / kernel.maxRows);
  if (parallel) blockRows = std::min(blockRows, ceilDiv(outputs, pool.threads() * kTasksPerThread * kernel.maxRows));
  blockRows *= kernel.maxRows;
  const int64_t blocks = ceilDiv(outputs, blockRows);
  const auto block = [&](int64_t b) {
    const int64_t first = b * blockRows;
    const int64_t rows = std::min(blockRows, outputs - first);
    uint8_t* patches = patchScratch(blockRows * windowBytes);
    if (grouped) {
      unfoldRowGroups(g, p, x, xZeroPoint, first, rows, patches);
    } else {
      unfoldWindows(g, p, x, xZeroPoint, kp, first, rows, patches);
    }
    for (int64_t j0 = 0; j0 < n; j0 += kernel.nr) {
      const int cols = static_cast<int>(std::min<int64_t>(kernel.nr, n - j0));
      // Column j0 starts panel j0 / 16, and every panel holds 16 · kp bytes. Patch rows are kp bytes, all
      // of which the product reads, as in qconv2d.
      kernel.runMax(patches, kp, rows, window, kp, weights + j0 * kp, kp, cols, r, j0, out + first * n + j0, n);
    }
  };
  if (parallel) {
    pool.parallelFor(blocks, block);
  } else {
    for (int64_t b = 0; b < blocks; ++b) block(b);
  }
}

void qconv2d(const Int8MicroKernel& kernel, ThreadPool& pool, const ConvGeometry& g, const uint8_t* x,
             uint8_t xZeroPoint, const PackedInt8& w, const Requant& r, void* out) {
  const int64_t positions = g.batch * g.outH * g.outW;
  const int64_t n = g.outChannels;
  if (positions == 0 || n == 0) return;
  const bool direct = g.kernelH == 1 && g.kernelW == 1 && g.strideH == 1 && g.strideW == 1 && g.padTop == 0 &&
                      g.padLeft == 0 && g.outH == g.inH && g.outW == g.inW;
  if (direct) return qgemm(kernel, pool, Int8Product{positions, x, g.inChannels, w.k, w, r, out, n});

  // Patch rows are padded like the packed weights, so the kernel reads whole groups of 4.
  const int64_t kp = int8PaddedK(w.k);
  const bool parallel = pool.threads() > 1 && !ThreadPool::insideTask() && positions * n * kp >= kParallelMinWork;
  int64_t blockRows = std::max<int64_t>(1, kBlockBytes / std::max<int64_t>(kp, 1) / kernel.mr);
  // Split over threads, even a small convolution (a batch of one) gives every thread a few blocks.
  if (parallel) blockRows = std::min(blockRows, ceilDiv(positions, pool.threads() * kTasksPerThread * kernel.mr));
  blockRows *= kernel.mr;
  const int64_t blocks = ceilDiv(positions, blockRows);
  const int64_t outputBytes = r.toUint8 ? 1 : 4;
  const auto block = [&](int64_t b) {
    const int64_t first = b * blockRows;
    const int64_t rows = std::min(blockRows, positions - first);
    uint8_t* patches = patchScratch(blockRows * kp);
    unfoldPatches(g, x, xZeroPoint, kp, first, rows, patches);
    void* outBlock = static_cast<uint8_t*>(out) + first * n * outputBytes;
    qgemmSerial(kernel, Int8Product{rows, patches, kp, kp, w, r, outBlock, n});
  };
  if (parallel) {
    pool.parallelFor(blocks, block);
  } else {
    for (int64_t b = 0; b < blocks; ++b) block(b);
  }
}

}  // namespace kiln
