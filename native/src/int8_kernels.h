// The int8 GEMM micro-kernels, one per instruction-set family, and what they share: the packed weight
// layout and the float32 requantization, which every family computes bit for bit like the js backend.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "cpu.h"
#include "x86.h"

namespace kiln {

// The int8 kernel families: those of the fp32 kernels, with AVX-512 split by whether it has VNNI.
enum class Int8Isa { kScalar, kAvx2, kAvx512, kAvx512Vnni };

// The int8 family that runs for the fp32 family `isa`; VNNI is used only when allowed and present.
Int8Isa int8IsaFor(Isa isa, bool allowVnni);

// "scalar", "avx2", "avx512" (without VNNI) or "avx512-vnni".
const char* int8IsaName(Int8Isa isa);

// Packed weights: w[n, k] as 16-column panels, each [kp / 4][16][4] with kp = k rounded up to a multiple
// of 4, so one 64-byte row of a panel holds 4 consecutive k of 16 output channels (a vpdpbusd operand).
// The padding (k past the end, channels past n) is zero, so whatever A holds there adds nothing.
constexpr int64_t kInt8PanelWidth = 16;

inline int64_t int8PaddedK(int64_t k) { return (k + 3) / 4 * 4; }

// Bytes of packed weights for w[n, k].
inline int64_t packedInt8Size(int64_t n, int64_t k) {
  return (n + kInt8PanelWidth - 1) / kInt8PanelWidth * kInt8PanelWidth * int8PaddedK(k);
}

// How int32 accumulators become outputs (Requantization in backend.ts). For output channel j,
// v = fround(fround(acc + bias[j]) · scale[j]), then
// - to uint8: clamp(roundHalfEven(v) + zeroPoint, min, max), and 0 where v is NaN (what storing the js
//   result, NaN, into a Uint8Array gives);
// - to float32: v + offset[j] in float32, or v itself when offset is null (so −0 stays −0).
struct Requant {
  bool toUint8;
  const int32_t* bias;
  const float* scale;
  const float* offset;
  int32_t zeroPoint, min, max;
};

// |v| beyond this saturates whatever the zero point: the kernels clamp v to ±kRequantLimit before the
// float → int conversion, which then never overflows.
constexpr float kRequantLimit = 1024.0f;

// The uint8 requantization of one value, as every vector version computes it.
inline uint8_t requantizeUint8(float v, const Requant& r) {
  if (v != v) return 0;
  const float bounded = std::min(std::max(v, -kRequantLimit), kRequantLimit);
  // lrintf rounds in the current mode, ties to even by default (as the js roundHalfEven does).
  const int32_t q = static_cast<int32_t>(std::lrintf(bounded)) + r.zeroPoint;
  return static_cast<uint8_t>(std::min(std::max(q, r.min), r.max));
}

// The float32 value v of accumulator `acc` in output channel j.
inline float requantizeValue(int32_t acc, const Requant& r, int64_t j) {
  return static_cast<float>(acc + r.bias[j]) * r.scale[j];
}

// Computes out[0:rows, 0:cols] = requantize(a[0:rows, 0:k] · w[0:cols, 0:k]ᵀ) for one register tile:
// a is row-major with row stride lda (read only within each row's k bytes), w points at the first of
// ⌈cols / 16⌉ consecutive panels of packed weights whose padded reduction is kp, and out (uint8_t or
// float, as r says) at the tile's first element, with row stride ldo; j0 is the tile's first output
// channel. rows ≤ mr and cols ≤ nr of the kernel.
using Int8TileFn = void (*)(const uint8_t* a, int64_t lda, int rows, int64_t k, const int8_t* w, int64_t kp, int cols,
                            const Requant& r, int64_t j0, void* out, int64_t ldo);

// Computes, for each i < rows (any count: the function tiles them itself), out[i, 0:cols] =
// requantize(max over t < window of a[i · window + t, 0:k] · w[0:cols, 0:k]ᵀ), the maximum taken per
// channel over the exact int32 sums, before requantization; a, w and j0 are as in Int8TileFn, r is a uint8
// requantization and out has row stride ldo. cols ≤ nr of the kernel. When the requantization does not
// decrease as the sum grows (positive, finite scales), this is the maximum of the requantized values,
// which is how a convolution and the max pooling after it fuse.
using Int8MaxTileFn = void (*)(const uint8_t* a, int64_t lda, int64_t rows, int64_t window, int64_t k, const int8_t* w,
                               int64_t kp, int cols, const Requant& r, int64_t j0, uint8_t* out, int64_t ldo);

struct Int8MicroKernel {
  Int8Isa isa;
  // Register tile: rows of A and output channels (a multiple of 16) one call produces.
  int mr;
  int nr;
  Int8TileFn run;
  // The windowed maximum, over the same column blocks of nr channels; any multiple of maxRows windows
  // splits into its tiles without a partial one.
  Int8MaxTileFn runMax;
  int maxRows;
};

const Int8MicroKernel& int8ScalarMicroKernel();
#if KILN_X86_KERNELS
const Int8MicroKernel& int8Avx2MicroKernel();
const Int8MicroKernel& int8Avx512MicroKernel();
const Int8MicroKernel& int8Avx512VnniMicroKernel();
#endif

// The kernel of a supported family.
const Int8MicroKernel& int8MicroKernelFor(Int8Isa isa);

}  // namespace kiln
