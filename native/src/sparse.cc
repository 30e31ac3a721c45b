#include "sparse.h"

#include <algorithm>
#include <cstring>

#include "aligned_buffer.h"

namespace kiln {
namespace {

// Below this many multiply-adds, waking workers costs more than it saves.
constexpr int64_t kParallelMinWork = int64_t{1} << 17;
// Tasks per thread when weight rows are shared out: more than one evens out threads slowed by other work.
constexpr int64_t kTasksPerThread = 4;
// Weight rows whose results one block holds before they are transposed into the output: a few KiB, in L1.
constexpr int64_t kResultRows = 32;
// Row widths that packRows transposes fastest are multiples of this.
constexpr int64_t kTransposeWidth = 8;

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
int64_t roundUp(int64_t a, int64_t b) { return ceilDiv(a, b) * b; }

// The cost of weight rows [0, j): their nonzeros, and one per row for its outputs.
int64_t costBefore(const SparseMatrix& w, int64_t j) { return w.rowStart[j] + j; }

// The first weight row of part `part` of `parts` (parts itself: n), so that parts cost about the same.
int64_t splitRow(const SparseMatrix& w, int64_t part, int64_t parts) {
  const int64_t target = costBefore(w, w.n) * part / parts;
  int64_t lo = 0, hi = w.n;
  while (lo < hi) {
    const int64_t mid = (lo + hi) / 2;
    if (costBefore(w, mid) < target) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

const float* biasFrom(const SparseProduct& pr, int64_t j) { return pr.bias == nullptr ? nullptr : pr.bias + j; }

// The single batch row against weight rows [j0, j1) by gathered dot products, on the calling thread.
void dotRow(const SparseKernels& kernels, const SparseProduct& pr, int64_t j0, int64_t j1) {
  kernels.dots(*pr.w, j0, j1, pr.a, pr.out);
  applyEpilogue(pr.out + j0, pr.ldo, 1, j1 - j0, nullptr, biasFrom(pr, j0), pr.activation);
}

// Batch rows [i0, i0 + rows) against weight rows [j0, j1), on the calling thread: the rows transposed once
// to [k, width], then for each group of weight rows the results [group, width] transposed back into out.
void blockRows(const SparseKernels& kernels, const MicroKernel& dense, const SparseProduct& pr, int64_t i0,
               int64_t rows, int64_t j0, int64_t j1) {
  static thread_local AlignedBuffer transposed, results, stored;
  const SparseMatrix& w = *pr.w;
  const int width = static_cast<int>(roundUp(rows, kernels.lanes));
  float* b = transposed.reserve(static_cast<size_t>(std::max<int64_t>(1, w.k * width)));
  dense.packRows(pr.a + i0 * pr.lda, pr.lda, rows, w.k, width, b);
  float* t = results.reserve(static_cast<size_t>(kResultRows * width));
  float* s = stored.reserve(static_cast<size_t>(width * kResultRows));
  for (int64_t jc = j0; jc < j1; jc += kResultRows) {
    const int64_t count = std::min(kResultRows, j1 - jc);
    kernels.block(w, jc, jc + count, b, width, t);
    const int storedWidth = static_cast<int>(roundUp(count, kTransposeWidth));
    dense.packRows(t, width, count, rows, storedWidth, s);
    float* out = pr.out + i0 * pr.ldo + jc;
    for (int64_t r = 0; r < rows; ++r) std::memcpy(out + r * pr.ldo, s + r * storedWidth, count * sizeof(float));
    applyEpilogue(out, pr.ldo, rows, count, nullptr, biasFrom(pr, jc), pr.activation);
  }
}

}  // namespace

SparseMatrix packSparse(const float* w, int64_t n, int64_t k) {
  SparseMatrix packed;
  packed.n = n;
  packed.k = k;
  packed.rowStart.resize(static_cast<size_t>(n + 1));
  int64_t nonzeros = 0;
  for (int64_t i = 0; i < n * k; ++i) nonzeros += w[i] != 0.0f;
  packed.columns.reserve(static_cast<size_t>(nonzeros));
  packed.values.reserve(static_cast<size_t>(nonzeros));
  for (int64_t j = 0; j < n; ++j) {
    for (int64_t p = 0; p < k; ++p) {
      const float v = w[j * k + p];
      if (v == 0.0f) continue;
      packed.columns.push_back(static_cast<int32_t>(p));
      packed.values.push_back(v);
    }
    packed.rowStart[j + 1] = static_cast<int32_t>(packed.columns.size());
  }
  return packed;
}

void sparseGemm(const SparseKernels& kernels, const MicroKernel& dense, ThreadPool& pool, const SparseProduct& pr) {
  const SparseMatrix& w = *pr.w;
  if (pr.m == 0 || w.n == 0) return;
  const bool parallel =
      pool.threads() > 1 && !ThreadPool::insideTask() && costBefore(w, w.n) * pr.m >= kParallelMinWork;
  // A single batch row takes gathered dot products; from two rows on, transposing blocks of them (so that
  // each nonzero multiplies whole vectors) is faster.
  if (pr.m == 1) {
    if (!parallel) return dotRow(kernels, pr, 0, w.n);
    const int64_t parts = std::min<int64_t>(w.n, pool.threads() * kTasksPerThread);
    pool.parallelFor(parts, [&](int64_t part) {
      const int64_t j0 = splitRow(w, part, parts), j1 = splitRow(w, part + 1, parts);
      if (j0 < j1) dotRow(kernels, pr, j0, j1);
    });
    return;
  }
  // Batch blocks of about equal rows; with fewer blocks than threads, each block's weight rows are shared
  // out too (each task then transposes its block, a small cost next to the products).
  const int64_t blocks = ceilDiv(pr.m, kernels.maxWidth);
  const int64_t blockRowCount = roundUp(ceilDiv(pr.m, blocks), kernels.lanes);
  const int64_t parts = parallel && blocks < pool.threads() ? std::min<int64_t>(w.n, ceilDiv(pool.threads(), blocks)) : 1;
  const auto task = [&](int64_t t) {
    const int64_t i0 = t / parts * blockRowCount;
    const int64_t rows = std::min(blockRowCount, pr.m - i0);
    const int64_t j0 = splitRow(w, t % parts, parts), j1 = splitRow(w, t % parts + 1, parts);
    if (rows > 0 && j0 < j1) blockRows(kernels, dense, pr, i0, rows, j0, j1);
  };
  if (!parallel) {
    for (int64_t t = 0; t < blocks; ++t) task(t);
  } else {
    pool.parallelFor(blocks * parts, task);
  }
}

const SparseKernels& sparseKernelsFor(Isa isa) {
#if KILN_X86_KERNELS
  if (isa == Isa::kAvx512) return avx512SparseKernels();
  if (isa == Isa::kAvx2) return avx2SparseKernels();
#endif
  (void)isa;
  return scalarSparseKernels();
}

}  // namespace kiln
