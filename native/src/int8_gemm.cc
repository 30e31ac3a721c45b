#include "int8_gemm.h"

#include <algorithm>

namespace kiln {
namespace {

// Below this many multiply-adds, waking workers costs more than it saves.
constexpr int64_t kParallelMinWork = int64_t{1} << 21;
// Tasks per thread when the product is split: more than one evens out threads slowed by other work.
constexpr int64_t kTasksPerThread = 4;
// Bytes of A one block of rows may span, so that it stays in L2 while every column block passes over it.
constexpr int64_t kRowBlockBytes = int64_t{256} << 10;

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

// The element (i, j) of the output.
void* outputAt(const Int8Product& pr, int64_t i, int64_t j) {
  const int64_t index = i * pr.ldo + j;
  return pr.r.toUint8 ? static_cast<void*>(static_cast<uint8_t*>(pr.out) + index)
                      : static_cast<void*>(static_cast<float*>(pr.out) + index);
}

// Computes out[i0:i1, j0:j1] on the calling thread; j0 is a multiple of the kernel's nr. Each column block
// of weights is reused over a block of rows, and each block of rows over every column block.
void multiplyBlock(const Int8MicroKernel& kernel, const Int8Product& pr, int64_t i0, int64_t i1, int64_t j0,
                   int64_t j1) {
  const int64_t kp = int8PaddedK(pr.w.k);
  const int64_t rowBlock = std::max<int64_t>(1, kRowBlockBytes / std::max<int64_t>(pr.k, 1) / kernel.mr) * kernel.mr;
  for (int64_t ic = i0; ic < i1; ic += rowBlock) {
    const int64_t icEnd = std::min(ic + rowBlock, i1);
    for (int64_t jc = j0; jc < j1; jc += kernel.nr) {
      const int cols = static_cast<int>(std::min<int64_t>(kernel.nr, j1 - jc));
      // Column jc starts panel jc / 16, and every panel holds 16 · kp bytes.
      const int8_t* panels = pr.w.data + jc * kp;
      for (int64_t ir = ic; ir < icEnd; ir += kernel.mr) {
        const int rows = static_cast<int>(std::min<int64_t>(kernel.mr, icEnd - ir));
        kernel.run(pr.a + ir * pr.lda, pr.lda, rows, pr.k, panels, kp, cols, pr.r, jc, outputAt(pr, ir, jc), pr.ldo);
      }
    }
  }
}

}  // namespace

void packInt8(const int8_t* w, int64_t n, int64_t k, int8_t* dst) {
  const int64_t kp = int8PaddedK(k);
  for (int64_t j0 = 0; j0 < n; j0 += kInt8PanelWidth) {
    for (int64_t p0 = 0; p0 < kp; p0 += 4) {
      for (int64_t j = j0; j < j0 + kInt8PanelWidth; ++j) {
        for (int64_t p = p0; p < p0 + 4; ++p) *dst++ = j < n && p < k ? w[j * k + p] : 0;
      }
    }
  }
}

void qgemmSerial(const Int8MicroKernel& kernel, const Int8Product& pr) {
  if (pr.m > 0 && pr.w.n > 0) multiplyBlock(kernel, pr, 0, pr.m, 0, pr.w.n);
}

void qgemm(const Int8MicroKernel& kernel, ThreadPool& pool, const Int8Product& pr) {
  const int64_t n = pr.w.n;
  if (pool.threads() == 1 || ThreadPool::insideTask() || pr.m * n * pr.k < kParallelMinWork) {
    return qgemmSerial(kernel, pr);
  }
  // Rows first (each task then reads all the weights, which stay in cache), columns when rows run out.
  const int64_t rowTiles = ceilDiv(pr.m, kernel.mr);
  const int64_t colBlocks = ceilDiv(n, kernel.nr);
  const int64_t wanted = pool.threads() * kTasksPerThread;
  const int64_t rowParts = std::min(rowTiles, wanted);
  const int64_t colParts = std::min(colBlocks, ceilDiv(wanted, rowParts));
  pool.parallelFor(rowParts * colParts, [&](int64_t t) {
    const int64_t rp = t / colParts;
    const int64_t cp = t % colParts;
    const int64_t i0 = std::min(pr.m, rowTiles * rp / rowParts * kernel.mr);
    const int64_t i1 = std::min(pr.m, rowTiles * (rp + 1) / rowParts * kernel.mr);
    const int64_t j0 = std::min(n, colBlocks * cp / colParts * kernel.nr);
    const int64_t j1 = std::min(n, colBlocks * (cp + 1) / colParts * kernel.nr);
    if (i0 < i1 && j0 < j1) multiplyBlock(kernel, pr, i0, i1, j0, j1);
  });
}

Int8Isa int8IsaFor(Isa isa, bool allowVnni) {
  switch (isa) {
    case Isa::kAvx512:
      return allowVnni && hasAvx512Vnni() ? Int8Isa::kAvx512Vnni : Int8Isa::kAvx512;
    case Isa::kAvx2:
      return Int8Isa::kAvx2;
    case Isa::kScalar:
      break;
  }
  return Int8Isa::kScalar;
}

const char* int8IsaName(Int8Isa isa) {
  switch (isa) {
    case Int8Isa::kScalar:
      return "scalar";
    case Int8Isa::kAvx2:
      return "avx2";
    case Int8Isa::kAvx512:
      return "avx512";
    case Int8Isa::kAvx512Vnni:
      return "avx512-vnni";
  }
  return "unknown";
}

const Int8MicroKernel& int8MicroKernelFor(Int8Isa isa) {
#if KILN_X86_KERNELS
  if (isa == Int8Isa::kAvx512Vnni) return int8Avx512VnniMicroKernel();
  if (isa == Int8Isa::kAvx512) return int8Avx512MicroKernel();
  if (isa == Int8Isa::kAvx2) return int8Avx2MicroKernel();
#endif
  (void)isa;
  return int8ScalarMicroKernel();
}

}  // namespace kiln
