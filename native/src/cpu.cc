#include "cpu.h"

#include "x86.h"

namespace kiln {

bool isaSupported(Isa isa) {
  switch (isa) {
    case Isa::kScalar:
      return true;
#if KILN_X86_KERNELS
    // __builtin_cpu_supports also checks that the OS saves the wide registers (XCR0).
    case Isa::kAvx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case Isa::kAvx512:
      return isaSupported(Isa::kAvx2) && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
#else
    case Isa::kAvx2:
    case Isa::kAvx512:
      return false;
#endif
  }
  return false;
}

std::vector<Isa> supportedIsas() {
  std::vector<Isa> isas;
  for (Isa isa : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512}) {
    if (isaSupported(isa)) isas.push_back(isa);
  }
  return isas;
}

Isa bestIsa() { return supportedIsas().back(); }

const char* isaName(Isa isa) {
  switch (isa) {
    case Isa::kScalar:
      return "scalar";
    case Isa::kAvx2:
      return "avx2";
    case Isa::kAvx512:
      return "avx512";
  }
  return "unknown";
}

bool parseIsa(const std::string& name, Isa* isa) {
  for (Isa candidate : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512}) {
    if (name == isaName(candidate)) {
      *isa = candidate;
      return true;
    }
  }
  return false;
}

bool hasAvx512Vnni() {
#if KILN_X86_KERNELS
  return isaSupported(Isa::kAvx512) && __builtin_cpu_supports("avx512vnni");
#else
  return false;
#endif
}

}  // namespace kiln
