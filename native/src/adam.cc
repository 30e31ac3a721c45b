#include "adam.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "x86.h"

namespace kiln {
namespace {

// Elements per task: the update is memory-bound, so small parameters stay on one thread.
constexpr int64_t kMinElementsPerTask = 1 << 15;

// Math.max: NaN if either is NaN, and +0 beats −0. Written as selects so the loop still vectorizes.
inline double jsMax(double a, double b) {
  const double larger = a > b || (a == b && !std::signbit(a)) ? a : b;
  return a != a || b != b ? std::numeric_limits<double>::quiet_NaN() : larger;
}

// The loop body is inlined into each instruction-set build of it, so it is compiled for that set.
#if defined(__GNUC__)
#define KILN_ALWAYS_INLINE __attribute__((always_inline)) inline
#else
#define KILN_ALWAYS_INLINE inline
#endif

// The update of elements [begin, end), with the mode flags as template arguments so each variant is a
// straight loop the compiler vectorizes (double precision, in the js backend's order of operations).
template <bool Decoupled, bool L2, bool AmsGrad>
KILN_ALWAYS_INLINE void updateBody(const AdamStep& s, float* p, const float* g, float* m, float* v,
                                                      float* vMax, int64_t begin, int64_t end) {
  const double decay = 1 - s.lr * s.weightDecay;
  for (int64_t i = begin; i < end; ++i) {
    if (Decoupled) p[i] = static_cast<float>(static_cast<double>(p[i]) * decay);
    const double gi = L2 ? static_cast<double>(g[i]) + s.weightDecay * static_cast<double>(p[i]) : g[i];
    m[i] = static_cast<float>(static_cast<double>(m[i]) * s.beta1 + (1 - s.beta1) * gi);
    v[i] = static_cast<float>(static_cast<double>(v[i]) * s.beta2 + (1 - s.beta2) * gi * gi);
    double second = v[i];
    if (AmsGrad) {
      second = jsMax(vMax[i], second);
      vMax[i] = static_cast<float>(second);
    }
    const double denom = std::sqrt(second) / s.biasCorrection2Sqrt + s.eps;
    p[i] = static_cast<float>(static_cast<double>(p[i]) + (-s.stepSize * static_cast<double>(m[i])) / denom);
  }
}

using RangeFn = void (*)(const AdamStep&, float*, const float*, float*, float*, float*, int64_t, int64_t);

template <bool Decoupled, bool L2, bool AmsGrad>
void updatePortable(const AdamStep& s, float* p, const float* g, float* m, float* v, float* vMax, int64_t begin,
                    int64_t end) {
  updateBody<Decoupled, L2, AmsGrad>(s, p, g, m, v, vMax, begin, end);
}

#if KILN_X86_KERNELS
// The same loop compiled for AVX-512, eight doubles per instruction. The build passes -ffp-contract=off, so
// no multiply and add are fused into one rounding here either: the results equal the portable loop's.
template <bool Decoupled, bool L2, bool AmsGrad>
__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq"))) void updateAvx512(
    const AdamStep& s, float* p, const float* g, float* m, float* v, float* vMax, int64_t begin, int64_t end) {
  updateBody<Decoupled, L2, AmsGrad>(s, p, g, m, v, vMax, begin, end);
}
#endif

// The variant for the mode flags, compiled for `isa` when there is such a build of it.
RangeFn rangeFor(Isa isa, bool decoupled, bool l2, bool amsgrad) {
  static const RangeFn portable[8] = {
      updatePortable<false, false, false>, updatePortable<false, false, true>, updatePortable<false, true, false>,
      updatePortable<false, true, true>,   updatePortable<true, false, false>, updatePortable<true, false, true>,
      updatePortable<true, true, false>,   updatePortable<true, true, true>};
  const int index = (decoupled ? 4 : 0) + (l2 ? 2 : 0) + (amsgrad ? 1 : 0);
#if KILN_X86_KERNELS
  static const RangeFn avx512[8] = {
      updateAvx512<false, false, false>, updateAvx512<false, false, true>, updateAvx512<false, true, false>,
      updateAvx512<false, true, true>,   updateAvx512<true, false, false>, updateAvx512<true, false, true>,
      updateAvx512<true, true, false>,   updateAvx512<true, true, true>};
  if (isa == Isa::kAvx512) return avx512[index];
#endif
  return portable[index];
}

}  // namespace

void adamUpdate(Isa isa, ThreadPool& pool, const AdamStep& step, float* p, const float* g, float* m, float* v,
                float* vMax, int64_t n) {
  // Adam with weightDecay 0 adds nothing to the gradient, exactly as the js loop skips the addition.
  const RangeFn range = rangeFor(isa, step.decoupled, !step.decoupled && step.weightDecay != 0, vMax != nullptr);
  const int64_t tasks = std::max<int64_t>(1, std::min<int64_t>(pool.threads(), n / kMinElementsPerTask));
  if (tasks == 1) return range(step, p, g, m, v, vMax, 0, n);
  pool.parallelFor(tasks, [&](int64_t t) { range(step, p, g, m, v, vMax, n * t / tasks, n * (t + 1) / tasks); });
}

}  // namespace kiln
