// Max and average pooling of channels-last u8 activations [N, inH, inW, C] into [N, outH, outW, C], with
// the window rules of pool2d.h and the results of the js backend's int8.ts, bit for bit.
#pragma once

#include <cstdint>

#include "int8_kernels.h"
#include "pool2d.h"
#include "thread_pool.h"

namespace kiln {

// The maximum of each window, channel by channel; padding never wins (a window with no input element,
// which callers never make, yields 0).
void qmaxPool2d(Int8Isa isa, ThreadPool& pool, const PoolGeometry& g, const uint8_t* x, uint8_t* out);

// floor((2 · sum + count) / (2 · count)) per window and channel, the mean rounded half up, where padding
// counts as zeroPoint and count follows avgPool2d's divisor rules.
void qavgPool2d(ThreadPool& pool, const PoolGeometry& g, bool countIncludePad, uint8_t zeroPoint, const uint8_t* x,
                uint8_t* out);

}  // namespace kiln
