// int8 arithmetic of the device, defined once (see docs/int8.md):
// requantisation with a 32-bit fixed-point multiplier and shift, round half
// to even, saturation; and ONNX-style float QuantizeLinear/DequantizeLinear.
#pragma once

#include <cstdint>

namespace npusim::isa {

// A real scale factor expressed as mult * 2^(shift - 31), with mult in
// [2^30, 2^31) (or 0 for a zero scale).
struct FixedMultiplier {
  int32_t mult = 0;
  int32_t shift = 0;  // positive: left shift
};

// Nearest fixed-point form of a positive real scale (throws on negative/NaN).
FixedMultiplier quantize_multiplier(double scale);

// round_half_to_even(x * mult * 2^(shift - 31)), computed exactly in integers.
int64_t requantize(int64_t x, int32_t mult, int32_t shift);

// round_half_to_even(x * mult * 2^(shift - 31) / divisor), exactly; divisor > 0.
int64_t requantize_div(int64_t x, int32_t mult, int32_t shift, int64_t divisor);

// Integer division rounding half to even (divisor != 0).
int64_t div_round_half_even(int64_t num, int64_t den);

// Saturates v to [lo, hi].
inline int64_t saturate(int64_t v, int64_t lo, int64_t hi) {
  return v < lo ? lo : (v > hi ? hi : v);
}

// Range of an 8-bit type.
inline int32_t qmin(bool is_signed) {
  return is_signed ? -128 : 0;
}
inline int32_t qmax(bool is_signed) {
  return is_signed ? 127 : 255;
}

// The device's output stage: clamp(zp + requantize(acc, m), lo, hi) intersected
// with the 8-bit range of the output type.
int32_t requantize_to_8bit(int64_t acc, FixedMultiplier m, int32_t zero_point, bool out_signed,
                           int32_t clamp_lo = -32768, int32_t clamp_hi = 32767);

// ONNX QuantizeLinear: saturate(round_half_to_even(x / scale) + zero_point).
int32_t quantize_linear(float x, float scale, int32_t zero_point, bool out_signed);

// ONNX DequantizeLinear: (x - zero_point) * scale, in float.
float dequantize_linear(int32_t x, float scale, int32_t zero_point);

// The two above over n elements of one tensor (per-tensor scale and zero
// point), vectorised where the CPU allows: the same bits as the scalar
// functions element by element. 8-bit values are raw bytes (int8 when signed).
void quantize_linear(const float* x, int64_t n, float scale, int32_t zero_point, bool out_signed,
                     uint8_t* out);
void dequantize_linear(const uint8_t* x, int64_t n, bool in_signed, float scale, int32_t zero_point,
                       float* out);

}  // namespace npusim::isa
