// Whether this compiler can build the x86 SIMD kernels: GCC and Clang with per-function target attributes
// and __builtin_cpu_supports. Elsewhere (another architecture, MSVC) only the portable kernels are built.
#pragma once

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define KILN_X86_KERNELS 1
#else
#define KILN_X86_KERNELS 0
#endif
