// Internal: the tensor-wide quantize_linear / dequantize_linear of int8.hpp at
// a chosen SIMD level (the public functions use host_simd()); tests run every
// level against the scalar definitions.
#pragma once

#include <cstdint>

#include "simd_level.hpp"

namespace npusim::isa::detail {

void quantize_linear(const float* x, int64_t n, float scale, int32_t zero_point, bool out_signed,
                     uint8_t* out, kernels::Simd level);
void dequantize_linear(const uint8_t* x, int64_t n, bool in_signed, float scale, int32_t zero_point,
                       float* out, kernels::Simd level);

}  // namespace npusim::isa::detail
