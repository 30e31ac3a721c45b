// Quantization of float32 activations to u8 and back, with the layout change between the float kernels
// (channels-first [batch, channels, plane]) and the integer ones (channels-last [batch, plane, channels]).
// Results equal the js backend's int8.ts bit for bit.
#pragma once

#include <cstdint>

#include "int8_kernels.h"
#include "thread_pool.h"

namespace kiln {

struct ChannelsLastShape {
  int64_t batch, channels, plane;
};

// out = clamp(roundHalfEven(x / scale) + zeroPoint, 0, 255), the division in float32: NaN and −∞ give 0,
// +∞ gives 255.
void quantize(Int8Isa isa, ThreadPool& pool, const ChannelsLastShape& shape, const float* x, float scale,
              int32_t zeroPoint, uint8_t* out);

// out = (x − zeroPoint) · scale in float32.
void dequantize(Int8Isa isa, ThreadPool& pool, const ChannelsLastShape& shape, const uint8_t* x, float scale,
                int32_t zeroPoint, float* out);

}  // namespace kiln
