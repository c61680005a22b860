#include "output_stage.hpp"

#include <algorithm>

namespace npusim::isa::kernels::detail {
namespace {

// Positions per period of the per-position tables: long enough that a row
// of a few channels still runs as one vector loop.
constexpr int64_t kMinPeriod = 64;

// The header's int64 form of requantize_to_8bit for one element; lo and hi
// are the clamp range minus zp, n in [1, 62], bias = 2^(n-1) - 1.
[[gnu::always_inline]] inline uint8_t stage_one(int32_t x, int32_t mult, int64_t n, int64_t bias,
                                                int64_t lo, int64_t hi, int64_t zp) {
  const int64_t p = int64_t{x} * int64_t{mult};
  const int64_t q = (p + bias + ((p >> n) & 1)) >> n;
  return static_cast<uint8_t>(std::clamp(q, lo, hi) + zp);
}

// The same loops, compiled for each level; GCC vectorises them (vpmuldq,
// vpsravq, vpminsq/vpmaxsq, vpmovqb at AVX-512).
#define NPUSIM_STAGE_LOOPS(SUFFIX, TARGET)                                                     \
  TARGET void uniform_##SUFFIX(const int32_t* __restrict acc, int64_t count, int32_t mult,     \
                               int64_t n, int64_t bias, int64_t lo, int64_t hi, int64_t zp,    \
                               uint8_t* __restrict dst) {                                      \
    for (int64_t i = 0; i < count; ++i) dst[i] = stage_one(acc[i], mult, n, bias, lo, hi, zp); \
  }                                                                                            \
  TARGET void periodic_##SUFFIX(const int32_t* __restrict acc, int64_t count,                  \
                                const int32_t* __restrict mult, const int64_t* __restrict n,   \
                                const int64_t* __restrict bias, int64_t lo, int64_t hi,        \
                                int64_t zp, uint8_t* __restrict dst) {                         \
    for (int64_t i = 0; i < count; ++i)                                                        \
      dst[i] = stage_one(acc[i], mult[i], n[i], bias[i], lo, hi, zp);                          \
  }

NPUSIM_STAGE_LOOPS(scalar, )
NPUSIM_STAGE_LOOPS(avx2, __attribute__((target("avx2"))))
NPUSIM_STAGE_LOOPS(avx512, __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl"))))
#undef NPUSIM_STAGE_LOOPS

bool in_fast_range(const FixedMultiplier& m) {
  const int64_t n = int64_t{31} - m.shift;  // any int32 shift, without overflow
  return n >= 1 && n <= 62;
}

}  // namespace

OutputStage::OutputStage(std::span<const FixedMultiplier> multipliers, int32_t zero_point,
                         bool out_signed, int32_t clamp_lo, int32_t clamp_hi, Simd simd)
    : m_(multipliers.begin(), multipliers.end()),
      zp_(zero_point),
      out_signed_(out_signed),
      clamp_lo_(clamp_lo),
      clamp_hi_(clamp_hi),
      simd_(usable(simd)) {
  if (m_.empty()) m_.push_back({0, 0});
  const int64_t lo = std::max<int64_t>(clamp_lo, qmin(out_signed));
  const int64_t hi = std::min<int64_t>(clamp_hi, qmax(out_signed));
  // |zp| < 2^16 (a 16-bit field) keeps zp + q inside int64 and makes the
  // int32 saturation of the definition irrelevant to the 8-bit result.
  fast_ = lo <= hi && zp_ > -(1 << 20) && zp_ < (1 << 20) &&
          std::all_of(m_.begin(), m_.end(), in_fast_range);
  if (!fast_) return;
  lo_ = lo - zp_;
  hi_ = hi - zp_;
  const int64_t period = m_.size() == 1
                             ? 1
                             : static_cast<int64_t>(m_.size()) *
                                   ((kMinPeriod + int64_t(m_.size()) - 1) / int64_t(m_.size()));
  for (int64_t i = 0; i < period; ++i) {
    const FixedMultiplier& m = m_[static_cast<size_t>(i) % m_.size()];
    const int64_t n = int64_t{31} - m.shift;
    mult_.push_back(m.mult);
    shift_.push_back(n);
    bias_.push_back((int64_t{1} << (n - 1)) - 1);
  }
}

void OutputStage::run_scalar(const int32_t* acc, int64_t n, int64_t first, uint8_t* dst) const {
  const auto size = static_cast<int64_t>(m_.size());
  for (int64_t i = 0; i < n; ++i)
    dst[i] =
        static_cast<uint8_t>(requantize_to_8bit(acc[i], m_[static_cast<size_t>((first + i) % size)],
                                                zp_, out_signed_, clamp_lo_, clamp_hi_));
}

void OutputStage::run(const int32_t* acc, int64_t n, int64_t first, uint8_t* dst) const {
  if (!fast_) return run_scalar(acc, n, first, dst);
  if (mult_.size() == 1) {
    const auto loop = simd_ == Simd::kAvx512 ? uniform_avx512
                      : simd_ == Simd::kAvx2 ? uniform_avx2
                                             : uniform_scalar;
    return loop(acc, n, mult_[0], shift_[0], bias_[0], lo_, hi_, zp_, dst);
  }
  const auto loop = simd_ == Simd::kAvx512 ? periodic_avx512
                    : simd_ == Simd::kAvx2 ? periodic_avx2
                                           : periodic_scalar;
  const auto period = static_cast<int64_t>(mult_.size());
  int64_t pos = first % period;
  for (int64_t i = 0; i < n;) {
    const int64_t len = std::min(n - i, period - pos);
    loop(acc + i, len, &mult_[pos], &shift_[pos], &bias_[pos], lo_, hi_, zp_, dst + i);
    i += len;
    pos = 0;
  }
}

}  // namespace npusim::isa::kernels::detail
