// Vector-unit element-wise kernels with requantisation: vec.requant, vec.add,
// vec.mul. All rounding follows isa::requantize (round half to even); the
// output stage runs vectorised (output_stage.hpp) on int32 accumulators that
// are formed here in chunks, and the scalar definition below remains for
// parameters the vectorised form does not cover and for overlapping operands
// other than the in-place cases (where chunking could change what is read).
#include <algorithm>
#include <array>
#include <cstring>
#include <string>
#include <vector>

#include "kernel_impl.hpp"
#include "kernel_shapes.hpp"
#include "npusim/isa/int8.hpp"
#include "op_descriptor.hpp"
#include "output_stage.hpp"

namespace npusim::isa::kernels::detail {
namespace {

using F = Field;

// Elements per chunk: the accumulators of a chunk stay in L1.
constexpr int64_t kChunk = 1024;

// Offset of element (row i, channel c) of an input under a broadcast mode.
int64_t bcast_index(int64_t mode, int64_t i, int64_t c, int64_t channels) {
  switch (mode) {
    case kBcastFull:
      return i * channels + c;
    case kBcastPerChannel:
      return c;
    case kBcastPerRow:
      return i;
    default:  // kBcastScalar
      return 0;
  }
}

// Chunked processing reads a chunk's inputs before writing its outputs; that
// equals the element-by-element definition when the input does not overlap
// the output, or is a full-shape input the output starts at or before (each
// write then lands on an element already read).
bool chunking_safe(const uint8_t* in, int64_t mode, const uint8_t* dst, int64_t count,
                   int64_t channels) {
  const uint64_t n = uint64_t(count * channels);
  const uint64_t extent = bcast_elems(mode, uint64_t(count), uint64_t(channels));
  if (in + extent <= dst || dst + n <= in) return true;
  return mode == kBcastFull && dst <= in;
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

// Applies acc = combine(a - za, b - zb) to every output element, then the
// output stage: the definition, element by element.
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

// The accumulator of every pair of input bytes is ta[a] + tb[b] (vec.add) or
// ta[a] * tb[b] (vec.mul); these tables hold the per-byte terms.
using ByteTable = std::array<int64_t, 256>;

// The vectorised form: accumulators per chunk from the byte tables, then the
// output stage. False (nothing written) when an accumulator might not fit
// int32 or the operands overlap in a way chunking would change.
template <bool kMul>
bool binary_chunked(const Binary& op, const ByteTable& ta, const ByteTable& tb) {
  const auto [a_lo, a_hi] = std::minmax_element(ta.begin(), ta.end());
  const auto [b_lo, b_hi] = std::minmax_element(tb.begin(), tb.end());
  const int64_t a_max = std::max(-*a_lo, *a_hi), b_max = std::max(-*b_lo, *b_hi);
  const int64_t bound = kMul ? a_max * b_max : a_max + b_max;
  if (bound > INT32_MAX) return false;
  if (!chunking_safe(op.a, op.mode_a, op.dst, op.count, op.channels) ||
      !chunking_safe(op.b, op.mode_b, op.dst, op.count, op.channels))
    return false;
  const OutputStage stage({&op.out_m, 1}, op.out_zp, op.out_signed, op.lo, op.hi);
  int32_t acc[kChunk];
  const int64_t total = op.count * op.channels;
  int64_t i = 0, c = 0;  // row and channel of the chunk's first element
  for (int64_t e0 = 0; e0 < total; e0 += kChunk) {
    const int64_t len = std::min(kChunk, total - e0);
    if (op.mode_a == kBcastFull && op.mode_b == kBcastFull) {
      for (int64_t k = 0; k < len; ++k) {
        const int64_t x = ta[op.a[e0 + k]], y = tb[op.b[e0 + k]];
        acc[k] = static_cast<int32_t>(kMul ? x * y : x + y);
      }
    } else {
      for (int64_t k = 0; k < len; ++k) {
        const int64_t x = ta[op.a[bcast_index(op.mode_a, i, c, op.channels)]];
        const int64_t y = tb[op.b[bcast_index(op.mode_b, i, c, op.channels)]];
        acc[k] = static_cast<int32_t>(kMul ? x * y : x + y);
        if (++c == op.channels) c = 0, ++i;
      }
    }
    stage.run(acc, len, 0, op.dst + e0);
  }
  return true;
}

// x - zp for every byte of the input type.
ByteTable centred(bool is_signed, int32_t zp) {
  ByteTable t;
  for (int v = 0; v < 256; ++v) {
    const auto byte = static_cast<uint8_t>(v);
    t[v] = load_q(&byte, is_signed) - zp;
  }
  return t;
}

void exec_requant(const Instruction& in, Bytes sram) {
  const int64_t count = in[F::kCount], channels = in[F::kChannels];
  std::vector<FixedMultiplier> m(
      1, {static_cast<int32_t>(in[F::kMult]), static_cast<int32_t>(in[F::kShift])});
  if (in[F::kPerChannel]) {
    m.resize(static_cast<size_t>(std::max<int64_t>(channels, 1)));
    const uint8_t* p = sram.data() + in[F::kParams];
    for (int64_t c = 0; c < channels; ++c) m[c] = {load_i32(p + 8 * c), load_i32(p + 8 * c + 4)};
  }
  const uint8_t* src = sram.data() + in[F::kSrc];
  uint8_t* dst = sram.data() + in[F::kDst];
  const auto zp = static_cast<int32_t>(in[F::kOutZp]);
  const bool out_signed = in[F::kOutSigned] != 0;
  const auto lo = static_cast<int32_t>(in[F::kClampLo]);
  const auto hi = static_cast<int32_t>(in[F::kClampHi]);
  const int64_t total = count * channels;
  // Element e reads bytes [4e, 4e+4) and writes byte e in increasing order,
  // so in place (dst <= src) no write lands on an element not yet read, and
  // copying a chunk's accumulators out first changes nothing.
  if (dst <= src || dst >= src + 4 * total) {
    const OutputStage stage(m, zp, out_signed, lo, hi);
    int32_t acc[kChunk];
    for (int64_t e0 = 0; e0 < total; e0 += kChunk) {
      const int64_t len = std::min(kChunk, total - e0);
      std::memcpy(acc, src + 4 * e0, 4 * len);
      stage.run(acc, len, e0, dst + e0);
    }
    return;
  }
  for (int64_t i = 0; i < count; ++i)
    for (int64_t c = 0; c < channels; ++c) {
      const int64_t e = i * channels + c;
      const FixedMultiplier mc = m[m.size() == 1 ? 0 : c];
      dst[e] = static_cast<uint8_t>(
          requantize_to_8bit(load_i32(src + 4 * e), mc, zp, out_signed, lo, hi));
    }
}

void exec_add(const Instruction& in, Bytes sram) {
  // TFLite-style: both inputs are rescaled to a common scale with 20 bits of
  // headroom, summed, and rescaled to the output.
  const int32_t ma = static_cast<int32_t>(in[F::kMult]), sa = static_cast<int32_t>(in[F::kShift]);
  const int32_t mb = static_cast<int32_t>(in[F::kMult2]);
  const int32_t sb = static_cast<int32_t>(in[F::kShift2]);
  const Binary op = binary_op(in, sram);
  ByteTable ta = centred(op.in_signed, op.za), tb = centred(op.in_signed, op.zb);
  for (auto& v : ta) v = requantize(v * (int64_t{1} << 20), ma, sa);
  for (auto& v : tb) v = requantize(v * (int64_t{1} << 20), mb, sb);
  if (binary_chunked<false>(op, ta, tb)) return;
  for_each_pair(op, [&](int64_t a, int64_t b) {
    return requantize(a * (int64_t{1} << 20), ma, sa) + requantize(b * (int64_t{1} << 20), mb, sb);
  });
}

void exec_mul(const Instruction& in, Bytes sram) {
  const Binary op = binary_op(in, sram);
  if (binary_chunked<true>(op, centred(op.in_signed, op.za), centred(op.in_signed, op.zb))) return;
  for_each_pair(op, [](int64_t a, int64_t b) { return a * b; });
}

// --- what the verifier, the access ranges and the cost model know of them ---

using verify_detail::at_least_1;
using verify_detail::Issue;

// vec.requant reads int32 accumulators, and per channel a multiplier and a
// shift (two int32) from `params`.
constexpr uint64_t kAccBytes = 4;
constexpr uint64_t kRequantParamBytes = 8;

void elementwise_rules(const Instruction& in, std::vector<Issue>& out) {
  at_least_1(in, {F::kCount, F::kChannels}, out);
  if (in[F::kClampLo] > in[F::kClampHi])
    out.push_back({F::kClampLo, "clamp_lo=" + std::to_string(in[F::kClampLo]) +
                                    " is above clamp_hi=" + std::to_string(in[F::kClampHi])});
}

void requant_accesses(const Instruction& in, ops::AccessBuilder& b) {
  const uint64_t n = in.u(F::kCount) * in.u(F::kChannels);
  b.read(in[F::kSrc], kAccBytes * n);
  if (in[F::kPerChannel]) b.read(in[F::kParams], kRequantParamBytes * in.u(F::kChannels));
  b.write(in[F::kDst], n);
}

void binary_accesses(const Instruction& in, ops::AccessBuilder& b) {
  const uint64_t count = in.u(F::kCount), ch = in.u(F::kChannels);
  b.read(in[F::kSrc], bcast_elems(in[F::kBcastA], count, ch));
  b.read(in[F::kSrc2], bcast_elems(in[F::kBcastB], count, ch));
  b.write(in[F::kDst], count * ch);
}

uint64_t elementwise_elements(const Instruction& in) {
  return in.u(F::kCount) * in.u(F::kChannels);
}

}  // namespace

}  // namespace npusim::isa::kernels::detail

namespace npusim::isa::ops {

using namespace kernels::detail;

constinit const OpDescriptor kVecRequantOp{.opcode = Opcode::kVecRequant,
                                           .unit = Unit::kVector,
                                           .shape = elementwise_rules,
                                           .accesses = requant_accesses,
                                           .execute = exec_requant,
                                           .elements = elementwise_elements};

constinit const OpDescriptor kVecAddOp{.opcode = Opcode::kVecAdd,
                                       .unit = Unit::kVector,
                                       .shape = elementwise_rules,
                                       .accesses = binary_accesses,
                                       .execute = exec_add,
                                       .elements = elementwise_elements};

constinit const OpDescriptor kVecMulOp{.opcode = Opcode::kVecMul,
                                       .unit = Unit::kVector,
                                       .shape = elementwise_rules,
                                       .accesses = binary_accesses,
                                       .execute = exec_mul,
                                       .elements = elementwise_elements};

}  // namespace npusim::isa::ops
