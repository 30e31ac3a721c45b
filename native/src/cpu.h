// Which instruction sets this CPU (and OS) can run, and the kernel family picked for them.
#pragma once

#include <string>
#include <vector>

namespace kiln {

// Kernel families, from the portable one up; each needs every feature the one before it needs.
enum class Isa { kScalar, kAvx2, kAvx512 };

// True when this build contains the family's kernels and the CPU can run them.
bool isaSupported(Isa isa);

// The fastest supported family.
Isa bestIsa();

// Every supported family, portable first.
std::vector<Isa> supportedIsas();

// "scalar", "avx2" (AVX2 + FMA) or "avx512" (F, BW, VL, DQ).
const char* isaName(Isa isa);

// The family called `name`; false when there is none by that name.
bool parseIsa(const std::string& name, Isa* isa);

// True when the avx512 family is supported and the CPU also has AVX512-VNNI (CPUID leaf 7, ECX bit 11):
// vpdpbusd, the u8 × s8 dot product of the int8 kernels' fast path.
bool hasAvx512Vnni();

}  // namespace kiln
