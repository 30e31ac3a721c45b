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

}  // namespace kiln
