#include "epilogue.h"

#include <cstring>

namespace kiln {
namespace {

// A select the compiler vectorizes (a compare and a mask): v ≤ 0 is false for NaN, which so stays, and
// true for −0, which becomes +0.
inline float relu(float v) { return v <= 0.0f ? 0.0f : v; }

// One pass over a row: v = row[j] + bias (a per-row value, or per column), then the activation.
template <bool kRowBias, bool kColBias, bool kRelu>
void finishRows(float* c, int64_t ldc, int64_t rows, int64_t cols, const float* rowBias, const float* colBias) {
  for (int64_t i = 0; i < rows; ++i) {
    float* row = c + i * ldc;
    const float b = kRowBias ? rowBias[i] : 0.0f;
    for (int64_t j = 0; j < cols; ++j) {
      float v = row[j];
      if (kRowBias) v += b;
      if (kColBias) v += colBias[j];
      row[j] = kRelu ? relu(v) : v;
    }
  }
}

template <bool kRelu>
void finishRows(float* c, int64_t ldc, int64_t rows, int64_t cols, const float* rowBias, const float* colBias) {
  if (rowBias != nullptr && colBias != nullptr) {
    finishRows<true, true, kRelu>(c, ldc, rows, cols, rowBias, colBias);
  } else if (rowBias != nullptr) {
    finishRows<true, false, kRelu>(c, ldc, rows, cols, rowBias, colBias);
  } else if (colBias != nullptr) {
    finishRows<false, true, kRelu>(c, ldc, rows, cols, rowBias, colBias);
  } else {
    finishRows<false, false, kRelu>(c, ldc, rows, cols, rowBias, colBias);
  }
}

}  // namespace

bool parseActivation(const char* name, Activation* activation) {
  if (std::strcmp(name, "none") == 0) {
    *activation = Activation::kNone;
  } else if (std::strcmp(name, "relu") == 0) {
    *activation = Activation::kRelu;
  } else {
    return false;
  }
  return true;
}

void applyEpilogue(float* c, int64_t ldc, int64_t rows, int64_t cols, const float* rowBias, const float* colBias,
                   Activation activation) {
  if (activation == Activation::kRelu) return finishRows<true>(c, ldc, rows, cols, rowBias, colBias);
  if (rowBias != nullptr || colBias != nullptr) finishRows<false>(c, ldc, rows, cols, rowBias, colBias);
}

}  // namespace kiln
