// Internal: which vector instructions the host-side kernels use. Decided once
// per process from the CPU (runtime dispatch), so one binary runs everywhere
// and uses AVX-512 where the CPU has it. Every level computes the same bits;
// the environment can lower the level to test the other paths on one machine:
//   NPUSIM_KERNELS_SCALAR=1       portable C++ only
//   NPUSIM_KERNELS_SIMD=scalar|avx2|avx512   at most this level
#pragma once

namespace npusim::isa::kernels {

enum class Simd { kScalar = 0, kAvx2 = 1, kAvx512 = 2 };

// The best level the CPU supports, capped by the environment.
Simd host_simd();
// The CPU (and the environment) allow AVX-512 VNNI (vpdpbusd) at kAvx512.
bool host_vnni();
// The CPU (and the environment) allow AVX-512 VBMI (vpermi2b) at kAvx512.
bool host_vbmi();
// The lower of `want` and host_simd(): a test may ask for any level.
Simd usable(Simd want);
const char* simd_name(Simd s);

}  // namespace npusim::isa::kernels
