#include "elementwise.h"

#include <algorithm>
#include <vector>

namespace kiln {
namespace {

// Elements per task: below this, another thread costs more than it saves on memory-bound loops.
constexpr int64_t kMinElementsPerTask = 1 << 16;

// Runs rows(first, last) over ranges of the outer dimension, or over ranges of the inner one when there
// is a single outer row, spread over the pool when the grid is large.
template <typename Rows>
void forEachRange(ThreadPool& pool, int64_t outer, int64_t inner, const Rows& rows) {
  const int64_t total = outer * inner;
  const int64_t tasks = std::max<int64_t>(1, std::min<int64_t>(pool.threads(), total / kMinElementsPerTask));
  if (tasks == 1) return rows(0, outer, 0, inner);
  if (outer >= tasks) {
    pool.parallelFor(tasks, [&](int64_t t) { rows(outer * t / tasks, outer * (t + 1) / tasks, 0, inner); });
  } else {
    pool.parallelFor(tasks, [&](int64_t t) { rows(0, outer, inner * t / tasks, inner * (t + 1) / tasks); });
  }
}

struct Relu {
  // NaN stays NaN, and −0 becomes +0, as in the js backend.
  float operator()(float x) const { return x > 0.0f ? x : (x != x ? x : 0.0f); }
};

template <typename Op>
void unaryRows(Grid<float> x, float* out, int64_t inner, int64_t o0, int64_t o1, int64_t i0, int64_t i1) {
  const Op op;
  for (int64_t o = o0; o < o1; ++o) {
    const float* src = x.data + o * x.outer;
    float* dst = out + o * inner;
    if (x.inner == 1) {
      for (int64_t i = i0; i < i1; ++i) dst[i] = op(src[i]);
    } else {
      std::fill(dst + i0, dst + i1, op(src[0]));
    }
  }
}

// One row of a binary op, with the inner strides as template arguments so each case vectorizes.
template <typename Op, typename Out, int AInner, int BInner>
void binaryRow(const float* a, const float* b, Out* out, int64_t i0, int64_t i1) {
  const Op op;
  for (int64_t i = i0; i < i1; ++i) out[i] = op(a[i * AInner], b[i * BInner]);
}

template <typename Op, typename Out>
void binaryRows(Grid<float> a, Grid<float> b, Out* out, int64_t inner, int64_t o0, int64_t o1, int64_t i0,
                int64_t i1) {
  for (int64_t o = o0; o < o1; ++o) {
    const float* ra = a.data + o * a.outer;
    const float* rb = b.data + o * b.outer;
    Out* ro = out + o * inner;
    if (a.inner == 1 && b.inner == 1) {
      binaryRow<Op, Out, 1, 1>(ra, rb, ro, i0, i1);
    } else if (a.inner == 1) {
      binaryRow<Op, Out, 1, 0>(ra, rb, ro, i0, i1);
    } else if (b.inner == 1) {
      binaryRow<Op, Out, 0, 1>(ra, rb, ro, i0, i1);
    } else {
      binaryRow<Op, Out, 0, 0>(ra, rb, ro, i0, i1);
    }
  }
}

template <typename Op, typename Out>
void binaryGrid(ThreadPool& pool, Grid<float> a, Grid<float> b, Out* out, int64_t outer, int64_t inner) {
  forEachRange(pool, outer, inner, [&](int64_t o0, int64_t o1, int64_t i0, int64_t i1) {
    binaryRows<Op, Out>(a, b, out, inner, o0, o1, i0, i1);
  });
}

// The arithmetic ops: float32 arithmetic is correctly rounded, as is JavaScript's double arithmetic
// rounded to float32 (double has more than twice float's precision), so both give the same bits.
struct Add {
  float operator()(float a, float b) const { return a + b; }
};
struct Sub {
  float operator()(float a, float b) const { return a - b; }
};
struct Mul {
  float operator()(float a, float b) const { return a * b; }
};
struct Div {
  float operator()(float a, float b) const { return a / b; }
};
// NaN in a propagates, as in PyTorch (and NaN in b falls through to the second branch).
struct Maximum {
  float operator()(float a, float b) const { return a > b || a != a ? a : b; }
};
struct Minimum {
  float operator()(float a, float b) const { return a < b || a != a ? a : b; }
};
struct Eq {
  uint8_t operator()(float a, float b) const { return a == b; }
};
struct Ne {
  uint8_t operator()(float a, float b) const { return a != b; }
};
struct Lt {
  uint8_t operator()(float a, float b) const { return a < b; }
};
struct Le {
  uint8_t operator()(float a, float b) const { return a <= b; }
};
struct Gt {
  uint8_t operator()(float a, float b) const { return a > b; }
};
struct Ge {
  uint8_t operator()(float a, float b) const { return a >= b; }
};

// Both values are loaded before the choice so the compiler selects with a blend instead of branching on
// the condition (a random mask, such as a ReLU's, would make the branch mispredict half the time).
template <int CInner, int AInner, int BInner>
void whereRow(const uint8_t* c, const float* a, const float* b, float* out, int64_t i0, int64_t i1) {
  for (int64_t i = i0; i < i1; ++i) {
    const float av = a[i * AInner];
    const float bv = b[i * BInner];
    out[i] = c[i * CInner] != 0 ? av : bv;
  }
}

// A whole where row for one combination of inner strides, chosen at run time.
using WhereRowFn = void (*)(const uint8_t*, const float*, const float*, float*, int64_t, int64_t);

WhereRowFn whereRowFor(int c, int a, int b) {
  static const WhereRowFn table[8] = {whereRow<0, 0, 0>, whereRow<0, 0, 1>, whereRow<0, 1, 0>, whereRow<0, 1, 1>,
                                      whereRow<1, 0, 0>, whereRow<1, 0, 1>, whereRow<1, 1, 0>, whereRow<1, 1, 1>};
  return table[c * 4 + a * 2 + b];
}

// A sum's iteration space with size-1 dimensions dropped and neighbours of the same role merged where x is
// contiguous across them; outSteps give each kept dimension's stride in the output (0 for reduced ones).
struct SumPlan {
  std::vector<int64_t> dims;
  std::vector<int64_t> steps;
  std::vector<int64_t> outSteps;
  std::vector<char> reduced;
};

// Adds the elements of x with indices [begin, end) along dimension d (and all of the inner dimensions)
// into acc, a double buffer shaped like the output, starting at output index o.
void accumulate(const SumPlan& plan, size_t d, int64_t begin, int64_t end, const float* x, double* acc, int64_t o) {
  const int64_t s = plan.steps[d];
  if (d + 1 < plan.dims.size()) {
    for (int64_t i = begin; i < end; ++i) accumulate(plan, d + 1, 0, plan.dims[d + 1], x + i * s, acc, o + i * plan.outSteps[d]);
  } else if (plan.reduced[d]) {
    // Four partial sums break the dependency chain of a single accumulator.
    double partial[4] = {0, 0, 0, 0};
    int64_t i = begin;
    for (; i + 4 <= end; i += 4) {
      for (int j = 0; j < 4; ++j) partial[j] += x[(i + j) * s];
    }
    for (; i < end; ++i) partial[0] += x[i * s];
    acc[o] += (partial[0] + partial[1]) + (partial[2] + partial[3]);
  } else {
    for (int64_t i = begin; i < end; ++i) acc[o + i] += x[i * s];
  }
}

}  // namespace

bool parseUnaryOp(const std::string& name, UnaryOp* op) {
  if (name != "relu") return false;
  *op = UnaryOp::kRelu;
  return true;
}

bool parseBinaryOp(const std::string& name, BinaryOp* op) {
  static const char* const names[] = {"add", "sub", "mul", "div", "maximum", "minimum",
                                      "eq",  "ne",  "lt",  "le",  "gt",      "ge"};
  for (int i = 0; i < 12; ++i) {
    if (name == names[i]) {
      *op = static_cast<BinaryOp>(i);
      return true;
    }
  }
  return false;
}

bool isComparison(BinaryOp op) { return op >= BinaryOp::kEq; }

void unary(ThreadPool& pool, UnaryOp op, Grid<float> x, float* out, int64_t outer, int64_t inner) {
  switch (op) {
    case UnaryOp::kRelu:
      forEachRange(pool, outer, inner, [&](int64_t o0, int64_t o1, int64_t i0, int64_t i1) {
        unaryRows<Relu>(x, out, inner, o0, o1, i0, i1);
      });
      return;
  }
}

void binary(ThreadPool& pool, BinaryOp op, Grid<float> a, Grid<float> b, void* out, int64_t outer, int64_t inner) {
  float* f = static_cast<float*>(out);
  uint8_t* u = static_cast<uint8_t*>(out);
  switch (op) {
    case BinaryOp::kAdd:
      return binaryGrid<Add>(pool, a, b, f, outer, inner);
    case BinaryOp::kSub:
      return binaryGrid<Sub>(pool, a, b, f, outer, inner);
    case BinaryOp::kMul:
      return binaryGrid<Mul>(pool, a, b, f, outer, inner);
    case BinaryOp::kDiv:
      return binaryGrid<Div>(pool, a, b, f, outer, inner);
    case BinaryOp::kMaximum:
      return binaryGrid<Maximum>(pool, a, b, f, outer, inner);
    case BinaryOp::kMinimum:
      return binaryGrid<Minimum>(pool, a, b, f, outer, inner);
    case BinaryOp::kEq:
      return binaryGrid<Eq>(pool, a, b, u, outer, inner);
    case BinaryOp::kNe:
      return binaryGrid<Ne>(pool, a, b, u, outer, inner);
    case BinaryOp::kLt:
      return binaryGrid<Lt>(pool, a, b, u, outer, inner);
    case BinaryOp::kLe:
      return binaryGrid<Le>(pool, a, b, u, outer, inner);
    case BinaryOp::kGt:
      return binaryGrid<Gt>(pool, a, b, u, outer, inner);
    case BinaryOp::kGe:
      return binaryGrid<Ge>(pool, a, b, u, outer, inner);
  }
}

void where(ThreadPool& pool, Grid<uint8_t> cond, Grid<float> a, Grid<float> b, float* out, int64_t outer,
           int64_t inner) {
  const WhereRowFn row = whereRowFor(static_cast<int>(cond.inner), static_cast<int>(a.inner), static_cast<int>(b.inner));
  forEachRange(pool, outer, inner, [&](int64_t o0, int64_t o1, int64_t i0, int64_t i1) {
    for (int64_t o = o0; o < o1; ++o) {
      row(cond.data + o * cond.outer, a.data + o * a.outer, b.data + o * b.outer, out + o * inner, i0, i1);
    }
  });
}

void reluBackward(ThreadPool& pool, const float* x, const float* dy, float* dx, int64_t n) {
  forEachRange(pool, 1, n, [&](int64_t, int64_t, int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      const float g = dy[i];
      dx[i] = x[i] > 0.0f ? g : 0.0f;
    }
  });
}

void sum(ThreadPool& pool, const float* x, int rank, const int64_t* shape, const int64_t* strides, const bool* reduced,
         float* out) {
  SumPlan plan;
  int64_t outSize = 1;
  int64_t total = 1;
  for (int d = 0; d < rank; ++d) {
    total *= shape[d];
    if (!reduced[d]) outSize *= shape[d];
    if (shape[d] == 1) continue;
    if (!plan.dims.empty() && plan.reduced.back() == reduced[d] && plan.steps.back() == strides[d] * shape[d]) {
      plan.dims.back() *= shape[d];
      plan.steps.back() = strides[d];
    } else {
      plan.dims.push_back(shape[d]);
      plan.steps.push_back(strides[d]);
      plan.reduced.push_back(reduced[d]);
    }
  }
  if (total == 0) {
    // Every kept element is an empty sum.
    std::fill(out, out + outSize, 0.0f);
    return;
  }
  if (plan.dims.empty()) {
    out[0] = x[0];
    return;
  }
  plan.outSteps.assign(plan.dims.size(), 0);
  for (size_t d = plan.dims.size(), step = 1; d-- > 0;) {
    if (plan.reduced[d]) continue;
    plan.outSteps[d] = static_cast<int64_t>(step);
    step *= static_cast<size_t>(plan.dims[d]);
  }
  // The outermost dimension is split over threads; each part sums into its own buffer, and the buffers are
  // added up in a fixed order so the result does not depend on timing.
  const int64_t outermost = plan.dims[0];
  const int64_t parts = std::max<int64_t>(1, std::min<int64_t>({pool.threads(), outermost, total / kMinElementsPerTask}));
  std::vector<double> acc(static_cast<size_t>(parts * outSize), 0.0);
  pool.parallelFor(parts, [&](int64_t part) {
    accumulate(plan, 0, outermost * part / parts, outermost * (part + 1) / parts, x, acc.data() + part * outSize, 0);
  });
  for (int64_t k = 0; k < outSize; ++k) {
    double value = 0;
    for (int64_t part = 0; part < parts; ++part) value += acc[static_cast<size_t>(part * outSize + k)];
    out[k] = static_cast<float>(value);
  }
}

}  // namespace kiln
