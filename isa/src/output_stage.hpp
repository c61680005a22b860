// Internal: the requantising output stage of vec.requant, vec.add and vec.mul
// (isa::requantize_to_8bit) over rows of int32 accumulators, vectorised.
//
// requantize_to_8bit rounds x * mult / 2^n (n = 31 - shift) half to even in
// 128-bit integers. For an int32 x, |x * mult| <= 2^62, so for 1 <= n <= 62
// the same value is, in int64 and without a branch,
//   q = (p + 2^(n-1) - 1 + ((p >> n) & 1)) >> n          (p = x * mult)
// (the low bit of floor(p / 2^n) decides the tie), and the clamp of zp + q to
// [lo, hi] is the clamp of q to [lo - zp, hi - zp] plus zp. That loop is
// compiled three times (portable, AVX2, AVX-512) and chosen at run time; any
// parameter outside that range (n < 1 or n > 62, or clamp_lo > clamp_hi)
// takes the scalar definition instead, so results are identical everywhere.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "npusim/isa/int8.hpp"
#include "simd_level.hpp"

namespace npusim::isa::kernels::detail {

class OutputStage {
 public:
  // Position e of a row uses multipliers[e % multipliers.size()] (one for a
  // per-tensor stage, one per channel for vec.requant's per_channel).
  OutputStage(std::span<const FixedMultiplier> multipliers, int32_t zero_point, bool out_signed,
              int32_t clamp_lo, int32_t clamp_hi, Simd simd = host_simd());

  // dst[i] = requantize_to_8bit(acc[i], multipliers[(first + i) % size], ...)
  // for i in [0, n). acc and dst must not overlap.
  void run(const int32_t* acc, int64_t n, int64_t first, uint8_t* dst) const;

  // Whether run() takes the vectorised loop (false: the scalar definition).
  bool vectorised() const { return fast_; }

 private:
  void run_scalar(const int32_t* acc, int64_t n, int64_t first, uint8_t* dst) const;

  std::vector<FixedMultiplier> m_;
  int32_t zp_;
  bool out_signed_;
  int32_t clamp_lo_, clamp_hi_;
  Simd simd_;
  bool fast_ = false;
  int64_t lo_ = 0, hi_ = 0;  // the clamp range minus the zero point
  // Per position, repeated to a period of at least kMinPeriod (uniform: one entry).
  std::vector<int32_t> mult_;
  std::vector<int64_t> shift_, bias_;  // n and 2^(n-1) - 1
};

}  // namespace npusim::isa::kernels::detail
