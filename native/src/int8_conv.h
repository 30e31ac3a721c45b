// Integer 2-D convolution in channels-last layout: u8 input [N, inH, inW, Cin] whose padding takes the
// input's zero point, weights packed from [Cout, kH, kW, Cin], requantized output [N, outH, outW, Cout];
// groups = 1. Blocks of output positions are unfolded (im2col) into a per-thread buffer and multiplied by
// the int8 GEMM; a 1 × 1, stride 1, unpadded kernel multiplies the input itself.
#pragma once

#include <cstdint>

#include "conv2d.h"
#include "int8_gemm.h"
#include "thread_pool.h"

namespace kiln {

// out = requantize(conv(x, w)); w packs k = kernelH · kernelW · inChannels for n = outChannels. Overwrites out.
void qconv2d(const Int8MicroKernel& kernel, ThreadPool& pool, const ConvGeometry& g, const uint8_t* x,
             uint8_t xZeroPoint, const PackedInt8& w, const Requant& r, void* out);

// The unpadded max pooling that follows a convolution: windows of kernelH × kernelW conv outputs, stride
// apart, outH × outW of them, all inside the conv output (outH = (conv outH − kernelH) / strideH + 1,
// rounded down, and so for W).
struct PoolWindow {
  int64_t kernelH, kernelW, strideH, strideW, outH, outW;
};

// out [N, p.outH, p.outW, Cout] = maxPool(requantize(conv(x, w))) for a uint8 requantization r, bit for bit
// as qconv2d then qmaxPool2d with no padding. Where every scale is positive and finite the requantization
// never decreases as the accumulator grows, so the maximum of the requantized outputs of a window is the
// requantization of its largest accumulator: the windows' accumulators are reduced first, and only the
// pooled outputs are requantized and written (conv outputs no window covers are never computed; those two
// overlapping windows share are computed for each). Other scales (0, negative, NaN, infinite), and windows
// whose patches exceed 1 MiB, take the two passes, through a temporary conv output.
void qconv2dMaxPool(const Int8MicroKernel& kernel, ThreadPool& pool, const ConvGeometry& g, const PoolWindow& p,
                    const uint8_t* x, uint8_t xZeroPoint, const PackedInt8& w, const Requant& r, uint8_t* out);

}  // namespace kiln
