// The GEMM micro-kernels, one per instruction-set family, and the cache blocking that suits each.
#pragma once

#include <cstdint>

#include "cpu.h"
#include "x86.h"

namespace kiln {

// Computes c[0:rows, 0:cols] = alpha · (a · b) + beta · c for one register tile, where `a` is an mr-row
// panel of packed A and `b` an nr-column panel of packed B, both stored k-major (kc × mr and kc × nr,
// zero-padded past the matrix edge). beta = 0 writes c without reading it, so NaN there is ignored.
using MicroKernelFn = void (*)(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int rows, int cols,
                               float alpha, float beta);

struct MicroKernel {
  Isa isa;
  // Register tile: rows and columns of C one call produces.
  int mr;
  int nr;
  // Cache blocks: a kc × nc block of packed B and an mc × kc block of packed A are reused from cache.
  int64_t mc;
  int64_t kc;
  int64_t nc;
  MicroKernelFn run;
};

const MicroKernel& scalarMicroKernel();
#if KILN_X86_KERNELS
const MicroKernel& avx2MicroKernel();
const MicroKernel& avx512MicroKernel();
#endif

// The kernel of a supported family.
const MicroKernel& microKernelFor(Isa isa);

}  // namespace kiln
