// fp32 2-D max and average pooling over NCHW planes, with the window, divisor and NaN rules of PyTorch
// (and of the js backend's pool2d.ts, which it matches bit for bit).
#pragma once

#include <cstdint>

#include "gemm_kernels.h"
#include "thread_pool.h"

namespace kiln {

// Symmetric padding; the caller resolves the output size (ceil mode included).
struct PoolGeometry {
  int64_t batch, channels, inH, inW, kernelH, kernelW, strideH, strideW, padH, padW, outH, outW;
};

// True for the common 2 × 2, stride 2, unpadded pooling whose windows all lie inside the input, which has
// kernels of its own.
bool isPairPooling(const PoolGeometry& g);

// Window maxima into out and their positions within the input plane (h · inW + w) into argmax, unless it is
// null; a window wholly in the padding yields -Infinity and -1. NaN wins, the last NaN of a window most of all.
void maxPool2d(const MicroKernel& kernel, ThreadPool& pool, const PoolGeometry& g, const float* x, float* out,
               int32_t* argmax);

// maxPool2d without positions over `planes` planes of geometry g (its batch and channels are ignored), on
// the calling thread.
void maxPoolPlanes(const MicroKernel& kernel, const PoolGeometry& g, const float* x, int64_t planes, float* out);

// Routes each dy element to the input position recorded in argmax (skipping -1 and anything outside the
// plane); overwrites dx.
void maxPool2dBackward(ThreadPool& pool, const PoolGeometry& g, const float* dy, const int32_t* argmax, float* dx);

// Window means; with countIncludePad the divisor is the window clipped to the padded input, otherwise the
// number of input elements it covers. A window that covers no input yields 0.
void avgPool2d(ThreadPool& pool, const PoolGeometry& g, bool countIncludePad, const float* x, float* out);

// Gradient of avgPool2d; overwrites dx.
void avgPool2dBackward(ThreadPool& pool, const PoolGeometry& g, bool countIncludePad, const float* dy, float* dx);

}  // namespace kiln
