#include "copy.h"

#include <algorithm>
#include <cstring>

namespace kiln {
namespace {

// Elements per task: below this, another thread costs more than it saves on a memory-bound copy.
constexpr int64_t kMinElementsPerTask = 1 << 16;

// Square tiles of a transposing copy: a tile's source rows and destination rows both stay in L1.
constexpr int64_t kTile = 32;

struct Layout {
  int rank;
  const int64_t* shape;
  const int64_t* src;
  const int64_t* dst;
};

// Copies an n0 × n1 block (source strides s0, s1; destination strides t0, t1) in square tiles, so that when
// the unit stride is on one dimension in the source and on the other in the destination (a transpose),
// neither side thrashes the cache. Within a tile the destination is written along its unit stride.
void copyTiled(const float* src, float* dst, int64_t n0, int64_t n1, int64_t s0, int64_t s1, int64_t t0, int64_t t1) {
  for (int64_t a0 = 0; a0 < n0; a0 += kTile) {
    const int64_t b0 = std::min(n0, a0 + kTile);
    for (int64_t a1 = 0; a1 < n1; a1 += kTile) {
      const int64_t b1 = std::min(n1, a1 + kTile);
      if (t1 == 1) {
        for (int64_t i0 = a0; i0 < b0; ++i0) {
          for (int64_t i1 = a1; i1 < b1; ++i1) dst[i0 * t0 + i1] = src[i0 * s0 + i1 * s1];
        }
      } else {
        for (int64_t i1 = a1; i1 < b1; ++i1) {
          for (int64_t i0 = a0; i0 < b0; ++i0) dst[i0 * t0 + i1 * t1] = src[i0 * s0 + i1 * s1];
        }
      }
    }
  }
}

// Copies the sub-array at dimension d and below, for indices [begin, end) of dimension d.
void copyDims(const Layout& l, int d, int64_t begin, int64_t end, const float* src, float* dst) {
  const int64_t ss = l.src[d];
  const int64_t ds = l.dst[d];
  if (d == l.rank - 1) {
    if (ss == 1 && ds == 1) {
      std::memcpy(dst + begin, src + begin, static_cast<size_t>(end - begin) * sizeof(float));
    } else {
      for (int64_t i = begin; i < end; ++i) dst[i * ds] = src[i * ss];
    }
    return;
  }
  // The last two dimensions, unless both sides are contiguous along the last one (then rows are memcpy'd).
  if (d == l.rank - 2 && !(l.src[d + 1] == 1 && l.dst[d + 1] == 1)) {
    copyTiled(src + begin * ss, dst + begin * ds, end - begin, l.shape[d + 1], ss, l.src[d + 1], ds, l.dst[d + 1]);
    return;
  }
  for (int64_t i = begin; i < end; ++i) copyDims(l, d + 1, 0, l.shape[d + 1], src + i * ss, dst + i * ds);
}

}  // namespace

void stridedCopy(ThreadPool& pool, const float* src, float* dst, int rank, const int64_t* shape,
                 const int64_t* srcStrides, const int64_t* dstStrides) {
  if (rank == 0) {
    dst[0] = src[0];
    return;
  }
  int64_t total = 1;
  for (int d = 0; d < rank; ++d) total *= shape[d];
  if (total == 0) return;
  const Layout l{rank, shape, srcStrides, dstStrides};
  const int64_t outer = shape[0];
  const int64_t tasks = std::max<int64_t>(1, std::min<int64_t>({pool.threads(), outer, total / kMinElementsPerTask}));
  if (tasks == 1) return copyDims(l, 0, 0, outer, src, dst);
  pool.parallelFor(tasks, [&](int64_t t) { copyDims(l, 0, outer * t / tasks, outer * (t + 1) / tasks, src, dst); });
}

}  // namespace kiln
