// fp32 GEMM in the Goto/BLIS style: C = alpha · op(A) · op(B) + beta · C, row-major, on the micro-kernel of
// one instruction-set family, spread over a thread pool.
#pragma once

#include <cstdint>

#include "epilogue.h"
#include "gemm_kernels.h"
#include "thread_pool.h"

namespace kiln {

// A row-major matrix operand: op(X)[i][j] is data[i * ld + j], or data[j * ld + i] when transposed.
struct MatrixRef {
  const float* data;
  int64_t ld;
  bool trans;
};

// op(B) as packB lays it out for one kernel: for each kc-deep block of k (starting at row p0, found at
// p0 · roundUp(n, nr)), the nr-column panels of that block, each stored k-major and zero-padded.
struct PackedRef {
  const float* data;
  int64_t k;
  int64_t n;
};

// What gemm does to C once the product is complete: add colBias[j] (n values, or null) to every row, then
// apply the activation.
struct GemmEpilogue {
  const float* colBias = nullptr;
  Activation activation = Activation::kNone;
};

// Floats packB writes for a k × n op(B).
int64_t packedBSize(const MicroKernel& kernel, int64_t k, int64_t n);

// Packs op(B) (k × n) into dst (packedBSize floats) for gemmPacked with the same kernel.
void packB(const MicroKernel& kernel, MatrixRef b, int64_t k, int64_t n, float* dst);

// C (m × n, leading dimension ldc) = epilogue(alpha · op(A) · op(B) + beta · C). beta = 0 overwrites C;
// alpha = 0 or k = 0 reduces the product to C = beta · C without reading A or B.
void gemm(const MicroKernel& kernel, ThreadPool& pool, int64_t m, int64_t n, int64_t k, float alpha, MatrixRef a,
          MatrixRef b, float beta, float* c, int64_t ldc, const GemmEpilogue& epilogue = {});

// gemm with a right-hand side packed by packB for the same kernel.
void gemmPacked(const MicroKernel& kernel, ThreadPool& pool, int64_t m, float alpha, MatrixRef a, PackedRef b,
                float beta, float* c, int64_t ldc, const GemmEpilogue& epilogue = {});

}  // namespace kiln
