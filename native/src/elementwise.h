// fp32 elementwise kernels and sums for the common layouts: every operand is walked as an outer × inner
// grid whose inner stride is 1 (contiguous) or 0 (broadcast), which covers contiguous tensors, scalars
// and a row or column broadcast against a matrix. Results equal the js backend's: float32 arithmetic
// rounds exactly as JavaScript's double arithmetic rounded to float32 does.
#pragma once

#include <cstdint>
#include <string>

#include "thread_pool.h"

namespace kiln {

// Element (o, i) of an operand lives at data[o · outer + i · inner]; inner is 0 or 1.
template <typename T>
struct Grid {
  const T* data;
  int64_t outer;
  int64_t inner;
};

enum class UnaryOp { kRelu };
enum class BinaryOp { kAdd, kSub, kMul, kDiv, kMaximum, kMinimum, kEq, kNe, kLt, kLe, kGt, kGe };

// The op called `name` (as in the Backend interface); false when it has no native kernel.
bool parseUnaryOp(const std::string& name, UnaryOp* op);
bool parseBinaryOp(const std::string& name, BinaryOp* op);

// Comparisons write 1 or 0 as uint8; the other ops write float32.
bool isComparison(BinaryOp op);

// out[o · inner + i] = op(x(o, i)).
void unary(ThreadPool& pool, UnaryOp op, Grid<float> x, float* out, int64_t outer, int64_t inner);

// out[o · inner + i] = op(a(o, i), b(o, i)); `out` is float* or uint8_t* as isComparison says.
void binary(ThreadPool& pool, BinaryOp op, Grid<float> a, Grid<float> b, void* out, int64_t outer, int64_t inner);

// out[o · inner + i] = cond(o, i) ? a(o, i) : b(o, i).
void where(ThreadPool& pool, Grid<uint8_t> cond, Grid<float> a, Grid<float> b, float* out, int64_t outer,
           int64_t inner);

// dx[i] = x[i] > 0 ? dy[i] : 0 for i < n: the gradient of ReLU in one pass (NaN in x gives 0, as x > 0 is
// false; NaN in dy passes where x > 0).
void reluBackward(ThreadPool& pool, const float* x, const float* dy, float* dx, int64_t n);

// Sums x over the dimensions flagged in `reduced` (in double precision, as the js backend does), writing
// the kept dimensions contiguously in order. `shape`, `strides` and `reduced` have `rank` entries.
void sum(ThreadPool& pool, const float* x, int rank, const int64_t* shape, const int64_t* strides, const bool* reduced,
         float* out);

}  // namespace kiln
