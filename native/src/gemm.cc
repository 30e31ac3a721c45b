#include "gemm.h"

#include <algorithm>
#include <cstring>

#include "aligned_buffer.h"

namespace kiln {
namespace {

// Below this many multiply-adds, waking workers costs more than it saves.
constexpr int64_t kParallelMinWork = int64_t{1} << 20;

// Threads that share the columns of C share one packing of B up to this size (8 MiB); a larger B is packed
// block by block as it is used, so that it stays in cache.
constexpr int64_t kSharedPackMaxFloats = int64_t{1} << 21;

// A few-row product reads all of B once and does little else, so it is split over the threads by the size
// of B, only from a size where each core streaming its share gains more than the hand-over costs (a
// Linear layer of 1600 × 128 weights does not gain).
constexpr int64_t kRowDotsParallelMinB = int64_t{1} << 20;

int64_t roundUp(int64_t x, int64_t multiple) { return (x + multiple - 1) / multiple * multiple; }

// Per-thread packing buffers, reused across calls so steady-state GEMMs do not allocate.
struct PackScratch {
  AlignedBuffer a;
  AlignedBuffer b;
};

PackScratch& packScratch() {
  static thread_local PackScratch scratch;
  return scratch;
}

// Copies op(A)[i0:i0+mc, p0:p0+kc] of a transposed A into MR-row panels, each stored k-major (kc × MR) and
// zero-padded: op(A)[i][p] = a[p · lda + i], so the MR values of one k step are contiguous.
template <int MR>
void packTransposedABlock(MatrixRef a, int64_t i0, int64_t mc, int64_t p0, int64_t kc, float* dst) {
  for (int64_t ir = 0; ir < mc; ir += MR) {
    const int rows = static_cast<int>(std::min<int64_t>(MR, mc - ir));
    const float* src = a.data + p0 * a.ld + i0 + ir;
    for (int64_t p = 0; p < kc; ++p, src += a.ld, dst += MR) {
      if (rows == MR) {
        std::memcpy(dst, src, sizeof(float) * MR);
      } else {
        for (int r = 0; r < MR; ++r) dst[r] = r < rows ? src[r] : 0.0f;
      }
    }
  }
}

// Copies op(B)[p0:p0+kc, j0:j0+nc] of an untransposed B into NR-column panels, each stored k-major
// (kc × NR) and zero-padded: each row of a panel is a contiguous run of a row of B.
template <int NR>
void packBBlock(MatrixRef b, int64_t p0, int64_t kc, int64_t j0, int64_t nc, float* dst) {
  for (int64_t jr = 0; jr < nc; jr += NR) {
    const int cols = static_cast<int>(std::min<int64_t>(NR, nc - jr));
    const float* src = b.data + p0 * b.ld + j0 + jr;
    for (int64_t p = 0; p < kc; ++p, src += b.ld, dst += NR) {
      if (cols == NR) {
        std::memcpy(dst, src, sizeof(float) * NR);
      } else {
        for (int j = 0; j < NR; ++j) dst[j] = j < cols ? src[j] : 0.0f;
      }
    }
  }
}

// The panels of op(A)[i0:i0+mc, p0:p0+kc], so the micro-kernel reads A with unit stride whatever its
// transposition. An untransposed A needs a transposition, which the kernel family does.
void packA(const MicroKernel& kernel, MatrixRef a, int64_t i0, int64_t mc, int64_t p0, int64_t kc, float* dst) {
  if (!a.trans) return kernel.packRows(a.data + i0 * a.ld + p0, a.ld, mc, kc, kernel.mr, dst);
  switch (kernel.mr) {
    case 8:
      return packTransposedABlock<8>(a, i0, mc, p0, kc, dst);
    case 6:
      return packTransposedABlock<6>(a, i0, mc, p0, kc, dst);
    default:
      return packTransposedABlock<4>(a, i0, mc, p0, kc, dst);
  }
}

// The panels of op(B)[p0:p0+kc, j0:j0+nc]. A transposed B (a Linear layer's weights) needs a
// transposition, which the kernel family does.
void packBPanels(const MicroKernel& kernel, MatrixRef b, int64_t p0, int64_t kc, int64_t j0, int64_t nc, float* dst) {
  if (b.trans) return kernel.packRows(b.data + j0 * b.ld + p0, b.ld, nc, kc, kernel.nr, dst);
  switch (kernel.nr) {
    case 32:
      return packBBlock<32>(b, p0, kc, j0, nc, dst);
    case 16:
      return packBBlock<16>(b, p0, kc, j0, nc, dst);
    default:
      return packBBlock<8>(b, p0, kc, j0, nc, dst);
  }
}

// The right-hand operand of one product: a matrix packed block by block as it is used, or a whole
// matrix packed beforehand by packB.
struct RightOperand {
  MatrixRef matrix;
  // Non-null for a prepacked operand; then `packedStride` = roundUp(n, nr) floats per row of k.
  const float* packed;
  int64_t packedStride;
};

struct Product {
  int64_t m, n, k;
  float alpha, beta;
  MatrixRef a;
  RightOperand b;
  float* c;
  int64_t ldc;
  GemmEpilogue epilogue;
};

// Finishes the block C[i0:i1, j0:j1] of a product, while it is still in cache.
void finishBlock(const Product& pr, int64_t i0, int64_t i1, int64_t j0, int64_t j1) {
  const float* bias = pr.epilogue.colBias == nullptr ? nullptr : pr.epilogue.colBias + j0;
  applyEpilogue(pr.c + i0 * pr.ldc + j0, pr.ldc, i1 - i0, j1 - j0, nullptr, bias, pr.epilogue.activation);
}

// Computes the block C[i0:i1, j0:j1] of a product on the calling thread; j0 is a multiple of nr.
void multiplyBlock(const MicroKernel& kernel, const Product& pr, int64_t i0, int64_t i1, int64_t j0, int64_t j1) {
  PackScratch& scratch = packScratch();
  float* aPanels = scratch.a.reserve(static_cast<size_t>(kernel.mc * kernel.kc));
  float* bPanels = pr.b.packed == nullptr ? scratch.b.reserve(static_cast<size_t>(kernel.kc * kernel.nc)) : nullptr;
  for (int64_t jc = j0; jc < j1; jc += kernel.nc) {
    const int64_t nc = std::min(kernel.nc, j1 - jc);
    for (int64_t pc = 0; pc < pr.k; pc += kernel.kc) {
      const int64_t kc = std::min(kernel.kc, pr.k - pc);
      const float* bBlock;
      if (pr.b.packed != nullptr) {
        bBlock = pr.b.packed + pc * pr.b.packedStride + (jc / kernel.nr) * kc * kernel.nr;
      } else {
        packBPanels(kernel, pr.b.matrix, pc, kc, jc, nc, bPanels);
        bBlock = bPanels;
      }
      // Later k-blocks accumulate onto what the first one wrote.
      const float beta = pc == 0 ? pr.beta : 1.0f;
      for (int64_t ic = i0; ic < i1; ic += kernel.mc) {
        const int64_t mc = std::min(kernel.mc, i1 - ic);
        packA(kernel, pr.a, ic, mc, pc, kc, aPanels);
        for (int64_t jr = 0; jr < nc; jr += kernel.nr) {
          const int cols = static_cast<int>(std::min<int64_t>(kernel.nr, nc - jr));
          for (int64_t ir = 0; ir < mc; ir += kernel.mr) {
            const int rows = static_cast<int>(std::min<int64_t>(kernel.mr, mc - ir));
            kernel.run(kc, aPanels + ir * kc, bBlock + jr * kc, pr.c + (ic + ir) * pr.ldc + jc + jr, pr.ldc, rows, cols,
                       pr.alpha, beta, nullptr);
          }
        }
      }
    }
    finishBlock(pr, i0, i1, jc, jc + nc);
  }
}

// C = beta · C, where beta = 0 clears C even where it held NaN.
void scaleC(float* c, int64_t ldc, int64_t m, int64_t n, float beta) {
  if (beta == 1.0f) return;
  for (int64_t i = 0; i < m; ++i) {
    float* row = c + i * ldc;
    if (beta == 0.0f) {
      std::fill(row, row + n, 0.0f);
    } else {
      for (int64_t j = 0; j < n; ++j) row[j] *= beta;
    }
  }
}

// B packed once for all the tiles of a product (see multiply), in packB's layout: each k-block of the
// calling thread's buffer is packed by whichever thread takes it.
Product withSharedB(const MicroKernel& kernel, ThreadPool& pool, const Product& pr) {
  static thread_local AlignedBuffer buffer;
  const int64_t stride = roundUp(pr.n, kernel.nr);
  float* packed = buffer.reserve(static_cast<size_t>(pr.k * stride));
  const int64_t blocks = (pr.k + kernel.kc - 1) / kernel.kc;
  pool.parallelFor(blocks, [&](int64_t block) {
    const int64_t p0 = block * kernel.kc;
    packBPanels(kernel, pr.b.matrix, p0, std::min(kernel.kc, pr.k - p0), 0, pr.n, packed + p0 * stride);
  });
  Product shared = pr;
  shared.b = RightOperand{MatrixRef{nullptr, 0, false}, packed, stride};
  return shared;
}

// Splits C into a grid of tiles, one per thread. Each tile packs its own panels, so the grid shape is
// the one that duplicates the least packing (tiles in a row of the grid each pack the same A rows, tiles
// in a column the same B columns).
void multiply(const MicroKernel& kernel, ThreadPool& pool, const Product& pr) {
  if (pr.m == 0 || pr.n == 0) return;
  if (pr.k == 0 || pr.alpha == 0.0f) {
    scaleC(pr.c, pr.ldc, pr.m, pr.n, pr.beta);
    return finishBlock(pr, 0, pr.m, 0, pr.n);
  }
  const int64_t rowTiles = (pr.m + kernel.mr - 1) / kernel.mr;
  const int64_t colTiles = (pr.n + kernel.nr - 1) / kernel.nr;
  const int threads = pool.threads();
  int64_t gridRows = 1;
  int64_t gridCols = 1;
  if (threads > 1 && !ThreadPool::insideTask() && pr.m * pr.n * pr.k >= kParallelMinWork) {
    double bestCost = -1;
    for (int64_t rows = 1; rows <= threads; ++rows) {
      if (threads % rows != 0) continue;
      const int64_t cols = threads / rows;
      if (rows > rowTiles || cols > colTiles) continue;
      const double cost = static_cast<double>(rows) * pr.n + static_cast<double>(cols) * pr.m;
      if (bestCost < 0 || cost < bestCost) {
        bestCost = cost;
        gridRows = rows;
        gridCols = cols;
      }
    }
  }
  if (gridRows * gridCols == 1) return multiplyBlock(kernel, pr, 0, pr.m, 0, pr.n);
  if (gridCols == 1 && pr.b.packed == nullptr && pr.k * roundUp(pr.n, kernel.nr) <= kSharedPackMaxFloats) {
    // Every tile would pack the whole of B for itself: pack it once instead, spread over the threads.
    return multiply(kernel, pool, withSharedB(kernel, pool, pr));
  }
  // Tile edges fall on register-tile boundaries so that prepacked panels line up.
  const auto edge = [](int64_t index, int64_t parts, int64_t tiles, int64_t tileSize, int64_t size) {
    return std::min(size, tiles * index / parts * tileSize);
  };
  pool.parallelFor(gridRows * gridCols, [&](int64_t t) {
    const int64_t gr = t / gridCols;
    const int64_t gc = t % gridCols;
    const int64_t i0 = edge(gr, gridRows, rowTiles, kernel.mr, pr.m);
    const int64_t i1 = edge(gr + 1, gridRows, rowTiles, kernel.mr, pr.m);
    const int64_t j0 = edge(gc, gridCols, colTiles, kernel.nr, pr.n);
    const int64_t j1 = edge(gc + 1, gridCols, colTiles, kernel.nr, pr.n);
    if (i0 < i1 && j0 < j1) multiplyBlock(kernel, pr, i0, i1, j0, j1);
  });
}

// A product with at most kRowDotsMaxRows rows and op(B) = Bᵀ, on the kernel's row-dot routine: B is read
// in place, spread over the threads by ranges of its rows when it is large enough.
void multiplyRowDots(const MicroKernel& kernel, ThreadPool& pool, const Product& pr) {
  MatrixRef a = pr.a;
  if (a.trans) {
    // The routine reads rows of A contiguously; these few rows are cheap to gather.
    float* rows = packScratch().a.reserve(static_cast<size_t>(pr.m * pr.k));
    for (int64_t i = 0; i < pr.m; ++i) {
      for (int64_t p = 0; p < pr.k; ++p) rows[i * pr.k + p] = a.data[p * a.ld + i];
    }
    a = MatrixRef{rows, pr.k, false};
  }
  const auto columns = [&](int64_t j0, int64_t j1) {
    kernel.rowDots(static_cast<int>(pr.m), j1 - j0, pr.k, a.data, a.ld, pr.b.matrix.data + j0 * pr.b.matrix.ld,
                   pr.b.matrix.ld, pr.c + j0, pr.ldc, pr.alpha, pr.beta);
    finishBlock(pr, 0, pr.m, j0, j1);
  };
  const int threads = pool.threads();
  if (threads == 1 || ThreadPool::insideTask() || pr.n * pr.k < kRowDotsParallelMinB) return columns(0, pr.n);
  pool.parallelFor(threads, [&](int64_t t) { columns(pr.n * t / threads, pr.n * (t + 1) / threads); });
}

}  // namespace

int64_t packedBSize(const MicroKernel& kernel, int64_t k, int64_t n) { return k * roundUp(n, kernel.nr); }

void packB(const MicroKernel& kernel, MatrixRef b, int64_t k, int64_t n, float* dst) {
  const int64_t stride = roundUp(n, kernel.nr);
  for (int64_t p0 = 0; p0 < k; p0 += kernel.kc) {
    packBPanels(kernel, b, p0, std::min(kernel.kc, k - p0), 0, n, dst + p0 * stride);
  }
}

void gemm(const MicroKernel& kernel, ThreadPool& pool, int64_t m, int64_t n, int64_t k, float alpha, MatrixRef a,
          MatrixRef b, float beta, float* c, int64_t ldc, const GemmEpilogue& epilogue) {
  const Product product{m, n, k, alpha, beta, a, RightOperand{b, nullptr, 0}, c, ldc, epilogue};
  if (b.trans && m > 0 && m <= kRowDotsMaxRows && n > 0 && k > 0 && alpha != 0.0f) {
    return multiplyRowDots(kernel, pool, product);
  }
  multiply(kernel, pool, product);
}

void gemmPacked(const MicroKernel& kernel, ThreadPool& pool, int64_t m, float alpha, MatrixRef a, PackedRef b,
                float beta, float* c, int64_t ldc, const GemmEpilogue& epilogue) {
  const RightOperand right{MatrixRef{nullptr, 0, false}, b.data, roundUp(b.n, kernel.nr)};
  multiply(kernel, pool, Product{m, b.n, b.k, alpha, beta, a, right, c, ldc, epilogue});
}

int64_t winogradWeightsSize(const MicroKernel& kernel, int64_t outChannels, int64_t inChannels) {
  return 16 * roundUp(outChannels, kernel.mr) * inChannels;
}

const MicroKernel& microKernelFor(Isa isa) {
#if KILN_X86_KERNELS
  if (isa == Isa::kAvx512) return avx512MicroKernel();
  if (isa == Isa::kAvx2) return avx2MicroKernel();
#endif
  (void)isa;
  return scalarMicroKernel();
}

}  // namespace kiln
