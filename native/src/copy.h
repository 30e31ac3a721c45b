// Strided fp32 copies: the layout changes of views (transpose, permute, contiguous) without a per-element
// call into JavaScript. Copies are exact, so the results equal the js backend's bit for bit.
#pragma once

#include <cstdint>

#include "thread_pool.h"

namespace kiln {

// dst[Σ i_d · dstStrides[d]] = src[Σ i_d · srcStrides[d]] over every index of `shape` (rank entries each;
// strides are non-negative, and dst's positions distinct).
void stridedCopy(ThreadPool& pool, const float* src, float* dst, int rank, const int64_t* shape,
                 const int64_t* srcStrides, const int64_t* dstStrides);

}  // namespace kiln
