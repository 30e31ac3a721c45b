// The sparse-weight kernels, one set per instruction-set family, and the layout they share: weights in
// compressed sparse rows, which only the product of a Linear layer's activations by its weights reads.
#pragma once

#include <cstdint>
#include <vector>

#include "cpu.h"
#include "x86.h"

namespace kiln {

// Weights w[n, k] without their zeros: the nonzeros of row j are values[rowStart[j]] up to
// values[rowStart[j + 1]], in column order, at the columns columns[…] (each < k). Built by packSparse only,
// so every index is known to be in range.
struct SparseMatrix {
  int64_t n = 0;
  int64_t k = 0;
  std::vector<int32_t> rowStart;
  std::vector<int32_t> columns;
  std::vector<float> values;
};

// For weight rows j in [j0, j1): out[j] = Σ_p values[p] · a[columns[p]], the sum alone (the caller adds the
// bias and activation). A batch of one row is read in place, each nonzero's activation gathered by its
// column.
using SparseDotsFn = void (*)(const SparseMatrix& w, int64_t j0, int64_t j1, const float* a, float* out);

// For weight rows j in [j0, j1) and c < width: t[(j − j0) · width + c] = Σ_p values[p] · b[columns[p] · width
// + c], where b holds a block of `width` batch rows transposed to [k, width]: each nonzero then multiplies
// whole vectors of the batch. width is a multiple of the family's lanes and at most its maxWidth.
using SparseBlockFn = void (*)(const SparseMatrix& w, int64_t j0, int64_t j1, const float* b, int width, float* t);

struct SparseKernels {
  Isa isa;
  // Floats in one vector register, and the most batch rows one SparseBlockFn call takes.
  int lanes;
  int maxWidth;
  SparseDotsFn dots;
  SparseBlockFn block;
};

const SparseKernels& scalarSparseKernels();
#if KILN_X86_KERNELS
const SparseKernels& avx2SparseKernels();
const SparseKernels& avx512SparseKernels();
#endif

// The kernels of a supported family.
const SparseKernels& sparseKernelsFor(Isa isa);

}  // namespace kiln
