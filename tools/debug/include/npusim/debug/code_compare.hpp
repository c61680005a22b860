// How close two int8 code tensors are (in LSB, one code step), and how close
// a dequantised tensor is to a float one (SQNR, cosine).
#pragma once

#include <cstdint>

#include "npusim/compiler/tensor.hpp"

namespace npusim::debug {

using compiler::Tensor;

struct CodeStats {
  int64_t elements = 0, exact = 0, within_1 = 0;
  int max_diff = 0;  // largest |a - b| in codes (LSB)
  double exact_share() const { return elements ? double(exact) / double(elements) : 1.0; }
  double within_1_share() const { return elements ? double(within_1) / double(elements) : 1.0; }
  bool identical() const { return exact == elements; }
};

// Codes of the same shape (int8 or uint8, either may be the other's +128
// when a dtype differs: uint8 codes are compared as int8 codes + 128). A
// shape or dtype mismatch throws naming both.
CodeStats compare_codes(const Tensor& a, const Tensor& b);
CodeStats& operator+=(CodeStats& total, const CodeStats& one);

// Float agreement of `x` with the reference `ref` (same element count):
// SQNR = 10 log10(sum ref^2 / sum (x - ref)^2) in dB (+inf when equal),
// cosine = sum x ref / sqrt(sum x^2 sum ref^2).
struct FloatStats {
  double sqnr_db = 0, cosine = 0;
  double signal = 0, noise = 0;  // the sums, for pooling several tensors
};
FloatStats compare_floats(const Tensor& x, const Tensor& ref);

// float32 scale * (q - zero_point) of int8/uint8 codes.
Tensor dequantize(const Tensor& codes, float scale, int32_t zero_point);
// int8 codes of a float32 tensor: clamp(round_half_even(x / scale) + zp).
Tensor quantize(const Tensor& values, float scale, int32_t zero_point);

}  // namespace npusim::debug
