// What a kernel does to its outputs once the product is complete: add a bias and apply an activation,
// while the block it just wrote is still in cache, instead of in separate passes over memory.
#pragma once

#include <cstdint>

namespace kiln {

enum class Activation { kNone, kRelu };

// The activation called `name` ('none' or 'relu'); false for any other name.
bool parseActivation(const char* name, Activation* activation);

// For i < rows and j < cols: c[i · ldc + j] = act(c[i · ldc + j] + rowBias[i] + colBias[j]), where a null
// bias adds nothing. ReLU keeps NaN and turns −0 into +0, as the unary relu kernel does.
void applyEpilogue(float* c, int64_t ldc, int64_t rows, int64_t cols, const float* rowBias, const float* colBias,
                   Activation activation);

}  // namespace kiln
