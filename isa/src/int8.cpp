// int8 arithmetic of the device (docs/int8.md).
#include "npusim/isa/int8.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <stdexcept>
#include <string>

namespace npusim::isa {

// 128-bit intermediates keep x * mult exact (GCC/Clang extension).
__extension__ typedef __int128 int128;

FixedMultiplier quantize_multiplier(double scale) {
  if (!(scale >= 0.0) || !std::isfinite(scale))
    throw std::invalid_argument("quantize_multiplier: scale must be finite and >= 0, got " +
                                std::to_string(scale));
  if (scale == 0.0) return {0, 0};
  int exponent = 0;
  const double fraction = std::frexp(scale, &exponent);  // scale = fraction * 2^exponent, [0.5,1)
  int64_t mult = std::llround(fraction * static_cast<double>(1ll << 31));
  if (mult == (1ll << 31)) {  // rounding reached 1.0
    mult /= 2;
    ++exponent;
  }
  if (exponent < -31) return {0, 0};  // below what 32-bit precision can express
  if (exponent > 30)
    throw std::invalid_argument("quantize_multiplier: scale " + std::to_string(scale) +
                                " is too large (must be below 2^30)");
  return {static_cast<int32_t>(mult), exponent};
}

namespace {
// v * 2^k, exact while it fits in 126 bits and saturated at +-2^126 beyond,
// where every caller clamps to 64 bits anyway. k comes from requantisation
// parameters in SRAM, which a program can set to anything, so it may be far
// beyond what quantize_multiplier gives (and a shift by 128 or more is UB).
int128 shift_left_saturating(int128 v, int64_t k) {
  const int128 sat = int128{1} << 126;
  if (v == 0) return 0;
  if (k >= 126 || v >= (sat >> k) || v <= -(sat >> k)) return v > 0 ? sat : -sat;
  return v << k;
}

// round_half_even(v / 2^n), on 128-bit values.
int128 shift_round_half_even(int128 v, int64_t n) {
  if (n <= 0) return shift_left_saturating(v, -n);
  if (n >= 126) return 0;
  const int128 one = 1;
  int128 q = v >> n;  // arithmetic shift: floor
  const int128 r = v - (q << n);
  const int128 half = one << (n - 1);
  if (r > half || (r == half && (q & 1))) q += 1;
  return q;
}

// round_half_even(num / den) for den > 0. Comparing r with den - r instead
// of 2*r with den keeps the test free of overflow for any den < 2^127.
int128 div_round_half_even_128(int128 num, int128 den) {
  int128 q = num / den;
  int128 r = num % den;  // same sign as num
  if (r < 0) {           // floor division: num = q*den + r with 0 <= r < den
    q -= 1;
    r += den;
  }
  const int128 rest = den - r;
  if (r > rest || (r == rest && (q & 1))) q += 1;
  return q;
}

int64_t clamp_to_int64(int128 v) {
  if (v > INT64_MAX) return INT64_MAX;
  if (v < INT64_MIN) return INT64_MIN;
  return static_cast<int64_t>(v);
}
}  // namespace

// Widened to 128 bits so that INT64_MIN operands negate safely; the only
// unrepresentable quotient (INT64_MIN / -1) saturates like requantize does.
int64_t div_round_half_even(int64_t num, int64_t den) {
  if (den == 0) throw std::invalid_argument("div_round_half_even: division by zero");
  int128 n = num, d = den;
  if (d < 0) {
    n = -n;
    d = -d;
  }
  return clamp_to_int64(div_round_half_even_128(n, d));
}

int64_t requantize(int64_t x, int32_t mult, int32_t shift) {
  const int128 product = static_cast<int128>(x) * mult;
  return clamp_to_int64(shift_round_half_even(product, int64_t{31} - shift));
}

int64_t requantize_div(int64_t x, int32_t mult, int32_t shift, int64_t divisor) {
  if (divisor <= 0) throw std::invalid_argument("requantize_div: divisor must be > 0");
  // round_half_even(x * mult / (divisor * 2^(31-shift))), exactly.
  int128 num = static_cast<int128>(x) * mult;
  int128 den = divisor;
  const int64_t n = int64_t{31} - shift;
  if (n >= 0) {
    // |num| <= 2^94, so a denominator of 2^126 or more rounds it to 0.
    if (n >= 126 || den >= (int128{1} << (126 - n))) return 0;
    den <<= n;
  } else {
    num = shift_left_saturating(num, -n);
  }
  return clamp_to_int64(div_round_half_even_128(num, den));
}

int32_t requantize_to_8bit(int64_t acc, FixedMultiplier m, int32_t zero_point, bool out_signed,
                           int32_t clamp_lo, int32_t clamp_hi) {
  // Saturate to int32 first: adding the zero point to a clamped int64 could
  // wrap. With zero points of 16 bits (the ISA's), int32 saturation does not
  // change the 8-bit result.
  const int64_t scaled = saturate(requantize(acc, m.mult, m.shift), INT32_MIN, INT32_MAX);
  const int64_t v = zero_point + scaled;
  const int64_t lo = std::max<int64_t>(clamp_lo, qmin(out_signed));
  const int64_t hi = std::min<int64_t>(clamp_hi, qmax(out_signed));
  return static_cast<int32_t>(saturate(v, lo, hi));
}

int32_t quantize_linear(float x, float scale, int32_t zero_point, bool out_signed) {
  const float q = std::nearbyint(x / scale);  // default rounding mode: half to even
  const double v = static_cast<double>(q) + zero_point;
  return static_cast<int32_t>(
      std::fmin(std::fmax(v, static_cast<double>(qmin(out_signed))), qmax(out_signed)));
}

float dequantize_linear(int32_t x, float scale, int32_t zero_point) {
  return static_cast<float>(x - zero_point) * scale;
}

}  // namespace npusim::isa
