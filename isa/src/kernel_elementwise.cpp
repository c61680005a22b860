// Vector-unit element-wise kernels with requantisation: vec.requant, vec.add,
// vec.mul. All rounding goes through isa::requantize (round half to even).
#include <vector>

#include "kernel_impl.hpp"
#include "kernel_shapes.hpp"
#include "npusim/isa/int8.hpp"

namespace npusim::isa::kernels::detail {
namespace {

using F = Field;

// Offset of element (row i, channel c) of an input under a broadcast mode.
int64_t bcast_index(int64_t mode, int64_t i, int64_t c, int64_t channels) {
  switch (mode) {
    case 0:
      return i * channels + c;
    case 1:
      return c;
    case 2:
      return i;
    default:
      return 0;
  }
}

// The two 8-bit inputs and the output stage shared by vec.add and vec.mul.
struct Binary {
  const uint8_t *a, *b;
  uint8_t* dst;
  int64_t count, channels, mode_a, mode_b;
  int32_t za, zb;
  bool in_signed;
  FixedMultiplier out_m;
  int32_t out_zp;
  bool out_signed;
  int32_t lo, hi;
};

Binary binary_op(const Instruction& in, Bytes sram) {
  return Binary{sram.data() + in[F::kSrc],
                sram.data() + in[F::kSrc2],
                sram.data() + in[F::kDst],
                in[F::kCount],
                in[F::kChannels],
                in[F::kBcastA],
                in[F::kBcastB],
                static_cast<int32_t>(in[F::kSrcZp]),
                static_cast<int32_t>(in[F::kSrc2Zp]),
                in[F::kSrcSigned] != 0,
                {static_cast<int32_t>(in[F::kMultOut]), static_cast<int32_t>(in[F::kShiftOut])},
                static_cast<int32_t>(in[F::kOutZp]),
                in[F::kOutSigned] != 0,
                static_cast<int32_t>(in[F::kClampLo]),
                static_cast<int32_t>(in[F::kClampHi])};
}

// Applies acc = combine(a - za, b - zb) to every output element, then the output stage.
template <typename Combine>
void for_each_pair(const Binary& op, Combine combine) {
  for (int64_t i = 0; i < op.count; ++i) {
    for (int64_t c = 0; c < op.channels; ++c) {
      const int64_t xa = load_q(op.a + bcast_index(op.mode_a, i, c, op.channels), op.in_signed);
      const int64_t xb = load_q(op.b + bcast_index(op.mode_b, i, c, op.channels), op.in_signed);
      const int64_t acc = combine(xa - op.za, xb - op.zb);
      const int32_t y = requantize_to_8bit(acc, op.out_m, op.out_zp, op.out_signed, op.lo, op.hi);
      op.dst[i * op.channels + c] = static_cast<uint8_t>(y);
    }
  }
}

}  // namespace

void exec_requant(const Instruction& in, Bytes sram) {
  const int64_t count = in[F::kCount], channels = in[F::kChannels];
  std::vector<FixedMultiplier> m(
      static_cast<size_t>(channels),
      {static_cast<int32_t>(in[F::kMult]), static_cast<int32_t>(in[F::kShift])});
  if (in[F::kPerChannel]) {
    const uint8_t* p = sram.data() + in[F::kParams];
    for (int64_t c = 0; c < channels; ++c) m[c] = {load_i32(p + 8 * c), load_i32(p + 8 * c + 4)};
  }
  const uint8_t* src = sram.data() + in[F::kSrc];
  uint8_t* dst = sram.data() + in[F::kDst];
  const auto zp = static_cast<int32_t>(in[F::kOutZp]);
  const bool out_signed = in[F::kOutSigned] != 0;
  const auto lo = static_cast<int32_t>(in[F::kClampLo]);
  const auto hi = static_cast<int32_t>(in[F::kClampHi]);
  // In increasing order: element e reads bytes [4e, 4e+4) and writes byte e,
  // so dst == src (in place) is safe.
  for (int64_t i = 0; i < count; ++i)
    for (int64_t c = 0; c < channels; ++c) {
      const int64_t e = i * channels + c;
      dst[e] = static_cast<uint8_t>(
          requantize_to_8bit(load_i32(src + 4 * e), m[c], zp, out_signed, lo, hi));
    }
}

void exec_add(const Instruction& in, Bytes sram) {
  // TFLite-style: both inputs are rescaled to a common scale with 20 bits of
  // headroom, summed, and rescaled to the output.
  const int32_t ma = static_cast<int32_t>(in[F::kMult]), sa = static_cast<int32_t>(in[F::kShift]);
  const int32_t mb = static_cast<int32_t>(in[F::kMult2]);
  const int32_t sb = static_cast<int32_t>(in[F::kShift2]);
  for_each_pair(binary_op(in, sram), [&](int64_t a, int64_t b) {
    return requantize(a * (int64_t{1} << 20), ma, sa) + requantize(b * (int64_t{1} << 20), mb, sb);
  });
}

void exec_mul(const Instruction& in, Bytes sram) {
  for_each_pair(binary_op(in, sram), [](int64_t a, int64_t b) { return a * b; });
}

}  // namespace npusim::isa::kernels::detail
