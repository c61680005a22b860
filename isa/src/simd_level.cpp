#include "simd_level.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace npusim::isa::kernels {
namespace {

Simd cpu_level() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
    return Simd::kAvx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Simd::kAvx2;
  return Simd::kScalar;
}

Simd environment_cap() {
  if (std::getenv("NPUSIM_KERNELS_SCALAR")) return Simd::kScalar;
  const char* want = std::getenv("NPUSIM_KERNELS_SIMD");
  if (!want) return Simd::kAvx512;
  if (std::strcmp(want, "scalar") == 0) return Simd::kScalar;
  if (std::strcmp(want, "avx2") == 0) return Simd::kAvx2;
  return Simd::kAvx512;
}

}  // namespace

Simd host_simd() {
  static const Simd level = std::min(cpu_level(), environment_cap());
  return level;
}

bool host_vnni() {
  static const bool ok = host_simd() == Simd::kAvx512 && __builtin_cpu_supports("avx512vnni");
  return ok;
}

bool host_vbmi() {
  static const bool ok = host_simd() == Simd::kAvx512 && __builtin_cpu_supports("avx512vbmi");
  return ok;
}

Simd usable(Simd want) {
  return std::min(want, host_simd());
}

const char* simd_name(Simd s) {
  switch (s) {
    case Simd::kAvx512:
      return "avx512";
    case Simd::kAvx2:
      return "avx2";
    default:
      return "scalar";
  }
}

}  // namespace npusim::isa::kernels
