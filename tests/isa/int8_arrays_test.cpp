// The tensor-wide quantize_linear / dequantize_linear (isa/src/int8_arrays.*)
// against the scalar definitions, element by element, at every SIMD level:
// ties (x / scale = k + 0.5), signed zeros, infinities, NaN, huge and tiny
// values, zero points at and beyond the 8-bit range, both signednesses.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "../../isa/src/int8_arrays.hpp"
#include "npusim/isa/int8.hpp"

namespace npusim::isa {
namespace {

using kernels::Simd;
const Simd kLevels[] = {Simd::kScalar, Simd::kAvx2, Simd::kAvx512};

std::vector<float> hard_floats(float scale) {
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> v = {0.0f,
                          -0.0f,
                          inf,
                          -inf,
                          std::numeric_limits<float>::quiet_NaN(),
                          std::numeric_limits<float>::max(),
                          -std::numeric_limits<float>::max(),
                          std::numeric_limits<float>::denorm_min(),
                          1e-30f,
                          -1e-30f};
  for (int k = -300; k <= 300; ++k) {  // ties and their neighbours
    const float tie = (static_cast<float>(k) + 0.5f) * scale;
    v.push_back(tie);
    v.push_back(std::nextafter(tie, inf));
    v.push_back(std::nextafter(tie, -inf));
  }
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> any(-400 * scale, 400 * scale);
  for (int i = 0; i < 2000; ++i) v.push_back(any(rng));
  return v;
}

TEST(Int8Arrays, QuantizeMatchesTheScalarDefinition) {
  for (float scale : {0.0078125f, 0.1f, 1.0f / 3.0f, 2.5f, 0.0f})
    for (bool out_signed : {false, true})
      for (int32_t zp : {0, 1, -1, 128, -128, 255, 1000, -70000, 1 << 24, -(1 << 24) - 5}) {
        const std::vector<float> x = hard_floats(scale == 0 ? 1.0f : scale);
        std::vector<uint8_t> want(x.size());
        for (size_t i = 0; i < x.size(); ++i)
          want[i] = static_cast<uint8_t>(quantize_linear(x[i], scale, zp, out_signed));
        for (Simd level : kLevels) {
          std::vector<uint8_t> got(x.size(), 0xEE);
          detail::quantize_linear(x.data(), int64_t(x.size()), scale, zp, out_signed, got.data(),
                                  level);
          ASSERT_EQ(got, want) << kernels::simd_name(kernels::usable(level)) << " scale " << scale
                               << " zp " << zp << (out_signed ? " int8" : " uint8");
        }
      }
}

TEST(Int8Arrays, DequantizeMatchesTheScalarDefinition) {
  std::vector<uint8_t> x(256 * 3 + 7);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<uint8_t>(i * 37);
  for (float scale : {0.0078125f, 0.1f, 1.0f / 3.0f, 1e30f, 0.0f})
    for (bool in_signed : {false, true})
      for (int32_t zp : {0, 7, -128, 255, 40000}) {
        std::vector<float> want(x.size());
        for (size_t i = 0; i < x.size(); ++i)
          want[i] = dequantize_linear(in_signed ? int8_t(x[i]) : x[i], scale, zp);
        for (Simd level : kLevels) {
          std::vector<float> got(x.size(), -1.0f);
          detail::dequantize_linear(x.data(), int64_t(x.size()), in_signed, scale, zp, got.data(),
                                    level);
          ASSERT_EQ(std::memcmp(got.data(), want.data(), 4 * want.size()), 0)
              << kernels::simd_name(kernels::usable(level)) << " scale " << scale << " zp " << zp;
        }
      }
}

}  // namespace
}  // namespace npusim::isa
