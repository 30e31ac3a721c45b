// The Adam / AdamW parameter update in one pass over the parameter, its gradient and the moment buffers.
// It computes in double precision with the operations in the js backend's order, storing float32 after
// each step as a Float32Array store does, so both backends give exactly the same values.
#pragma once

#include <cstdint>

#include "cpu.h"
#include "thread_pool.h"

namespace kiln {

// Hyperparameters of one update; stepSize and biasCorrection2Sqrt already hold the step's bias corrections.
struct AdamStep {
  double lr, beta1, beta2, eps, weightDecay;
  // lr / (1 − beta1^t) and √(1 − beta2^t).
  double stepSize, biasCorrection2Sqrt;
  // AdamW scales p by 1 − lr · weightDecay first; Adam adds weightDecay · p to the gradient.
  bool decoupled;
};

// Updates p, m, v (and vMax, the AMSGrad maximum, unless it is null) in place over n elements, with the
// loop compiled for `isa` where the build has such a version (the results do not depend on it).
void adamUpdate(Isa isa, ThreadPool& pool, const AdamStep& step, float* p, const float* g, float* m, float* v,
                float* vMax, int64_t n);

}  // namespace kiln
