// Internal: byte helpers of the kernels (each kernel is file-local, reached
// through its opcode's descriptor, op_descriptor.hpp).
// SRAM is a byte array; multi-byte values are little-endian and may sit at
// any alignment, so they are read and written with memcpy.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>

#include "npusim/isa/kernels.hpp"

namespace npusim::isa::kernels::detail {

static_assert(std::endian::native == std::endian::little,
              "SRAM values are little-endian; the kernels copy them as host integers");

inline int32_t load_i32(const uint8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
inline void store_i32(uint8_t* p, int32_t v) {
  std::memcpy(p, &v, 4);
}

// An 8-bit element as a number, by signedness.
inline int32_t load_q(const uint8_t* p, bool is_signed) {
  return is_signed ? static_cast<int8_t>(*p) : *p;
}

// Wrapping int32 addition (the device's accumulator), without signed-overflow UB.
inline int32_t wrap_add(int32_t a, int64_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) + static_cast<uint32_t>(b));
}

}  // namespace npusim::isa::kernels::detail
