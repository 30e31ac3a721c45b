// Integer GEMM: out[m, n] = requantize(a[m, k] · w[n, k]ᵀ) with u8 activations, s8 weights packed once
// (layout in int8_kernels.h), exact int32 sums and the float32 requantization of Requant, on the
// micro-kernel of one int8 family, spread over a thread pool.
#pragma once

#include <cstdint>

#include "int8_kernels.h"
#include "thread_pool.h"

namespace kiln {

// Weights packed by packInt8.
struct PackedInt8 {
  const int8_t* data;
  int64_t n;
  int64_t k;
};

// Packs row-major w[n, k] into dst (packedInt8Size(n, k) bytes). The layout is the same for every family.
void packInt8(const int8_t* w, int64_t n, int64_t k, int8_t* dst);

// One product: a is row-major with row stride lda, and each row is read over its first `k` bytes, which is
// w.k or, for rows padded as the packing pads k, int8PaddedK(w.k). out holds uint8_t or float as r says,
// with row stride ldo elements.
struct Int8Product {
  int64_t m;
  const uint8_t* a;
  int64_t lda;
  int64_t k;
  PackedInt8 w;
  Requant r;
  void* out;
  int64_t ldo;
};

// Computes the product, split over the pool when it is large enough.
void qgemm(const Int8MicroKernel& kernel, ThreadPool& pool, const Int8Product& pr);

// Computes the product on the calling thread, for callers that split the work themselves.
void qgemmSerial(const Int8MicroKernel& kernel, const Int8Product& pr);

}  // namespace kiln
