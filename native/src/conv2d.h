// fp32 2-D convolution over NCHW input and [outChannels, inChannels / groups, kernelH, kernelW] weights:
// the forward pass unfolds the input panel by panel straight into the GEMM micro-kernel's layout, with the
// weights packed once per call, or, in a family that has them, runs a direct kernel for few taps and
// Winograd's F(2 × 2, 3 × 3) for a 3 × 3 convolution whose output is max-pooled 2 × 2; the gradients use
// im2col + GEMM per image and group (the input itself is the column matrix for a 1 × 1, stride 1, unpadded
// kernel) and col2im. Same semantics as the js backend's conv2d.ts, to float32 rounding.
#pragma once

#include <cstdint>

#include "epilogue.h"
#include "gemm_kernels.h"
#include "pool2d.h"
#include "thread_pool.h"

namespace kiln {

// The caller resolves padding and output sizes; only the top/left padding is given, and outH/outW bound
// the rest (a smaller output leaves the last input rows/columns unused).
struct ConvGeometry {
  int64_t batch, inChannels, inH, inW, outChannels, kernelH, kernelW, strideH, strideW, padTop, padLeft, dilationH,
      dilationW, groups, outH, outW;
};

// out[N, Cout, outH, outW] = act(conv(x, w) + bias[Cout]) (bias may be null). Overwrites out.
void conv2dForward(const MicroKernel& kernel, ThreadPool& pool, const ConvGeometry& g, const float* x, const float* w,
                   const float* bias, Activation activation, float* out);

// out[N, Cout, pooled] = maxPool(act(conv(x, w) + bias[Cout])), without the pooling positions (for
// inference): each image's convolution is pooled while it is still in cache, never written out whole, and
// output rows and columns the pooling skips need not be computed. The pooling geometry's batch, channels and
// input size are the convolution's batch, outChannels and output size.
void conv2dMaxPool(const MicroKernel& kernel, ThreadPool& pool, const ConvGeometry& g, const PoolGeometry& pg,
                   const float* x, const float* w, const float* bias, Activation activation, float* out);

// dx[N, Cin, H, W] = ∂out/∂x ᵀ · dy. Overwrites dx.
void conv2dBackwardInput(const MicroKernel& kernel, ThreadPool& pool, const ConvGeometry& g, const float* dy,
                         const float* w, float* dx);

// dw[Cout, Cin / groups, kH, kW] = ∂out/∂w ᵀ · dy. Overwrites dw.
void conv2dBackwardWeight(const MicroKernel& kernel, ThreadPool& pool, const ConvGeometry& g, const float* x,
                          const float* dy, float* dw);

}  // namespace kiln
