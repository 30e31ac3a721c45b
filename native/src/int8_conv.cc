#include "int8_conv.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

namespace kiln {
namespace {

// Below this many multiply-adds, waking workers costs more than it saves.
constexpr int64_t kParallelMinWork = int64_t{1} << 21;
// Bytes of unfolded patches per block: the block stays in L1/L2 while the GEMM reads it.
constexpr int64_t kBlockBytes = int64_t{32} << 10;
// Blocks per thread when the work is split: more than one evens out threads slowed by other work.
constexpr int64_t kTasksPerThread = 4;

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

}  // namespace

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
