// Functional semantics of the compute instructions: every opcode against a
// naive reference loop written here from docs/isa-compute.md (random data
// with fixed seeds), plus hand-checked values for the rounding-sensitive cases.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "npusim/isa/int8.hpp"
#include "npusim/isa/kernels.hpp"

namespace npusim::isa::kernels {
namespace {

using F = Field;

// A test SRAM with a bump allocator. Buffers start at odd addresses so the
// kernels' handling of unaligned int32 data is always exercised.
class Sram {
 public:
  uint64_t alloc(uint64_t bytes) {
    const uint64_t at = bytes_.size() + 1;
    bytes_.resize(at + bytes + 7, 0xcd);
    return at;
  }
  uint64_t put8(const std::vector<int32_t>& v) {
    const uint64_t at = alloc(v.size());
    for (size_t i = 0; i < v.size(); ++i) bytes_[at + i] = static_cast<uint8_t>(v[i]);
    return at;
  }
  uint64_t put32(const std::vector<int32_t>& v) {
    const uint64_t at = alloc(4 * v.size());
    for (size_t i = 0; i < v.size(); ++i) std::memcpy(&bytes_[at + 4 * i], &v[i], 4);
    return at;
  }
  std::vector<int32_t> get8(uint64_t at, size_t n, bool is_signed) const {
    std::vector<int32_t> v(n);
    for (size_t i = 0; i < n; ++i)
      v[i] = is_signed ? static_cast<int8_t>(bytes_[at + i]) : bytes_[at + i];
    return v;
  }
  std::vector<int32_t> get32(uint64_t at, size_t n) const {
    std::vector<int32_t> v(n);
    for (size_t i = 0; i < n; ++i) std::memcpy(&v[i], &bytes_[at + 4 * i], 4);
    return v;
  }
  uint8_t& operator[](uint64_t i) { return bytes_[i]; }
  void run(const Instruction& in) { execute(in, Bytes(bytes_)); }

 private:
  std::vector<uint8_t> bytes_;
};

std::vector<int32_t> random_q(std::mt19937& rng, size_t n, bool is_signed) {
  std::vector<int32_t> v(n);
  for (auto& x : v) x = static_cast<int32_t>(rng() % 256) - (is_signed ? 128 : 0);
  return v;
}

std::vector<int32_t> random_i32(std::mt19937& rng, size_t n, int32_t lo, int32_t hi) {
  std::uniform_int_distribution<int32_t> d(lo, hi);
  std::vector<int32_t> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

int32_t wrap32(int64_t v) {
  return static_cast<int32_t>(static_cast<uint32_t>(v));
}

// ---------------------------------------------------------------- shapes

TEST(ConvOutSize, Formula) {
  EXPECT_EQ(conv_out_size(5, 1, 1, 3, 1, 1), 5);
  EXPECT_EQ(conv_out_size(5, 0, 0, 3, 2, 1), 2);
  EXPECT_EQ(conv_out_size(6, 1, 0, 3, 2, 1), 3);
  EXPECT_EQ(conv_out_size(7, 0, 0, 3, 1, 2), 3);  // dilated kernel spans 5
  EXPECT_EQ(conv_out_size(2, 0, 0, 3, 1, 1), 0);  // kernel larger than the input
  EXPECT_EQ(conv_out_size(5, 0, 0, 3, 0, 1), 0);  // invalid stride: empty, not a crash
  EXPECT_EQ(conv_out_size(5, 0, 0, 3, 1, 0), 0);
}

// ---------------------------------------------------------------- mat.conv

struct ConvCase {
  int64_t h, w, c, oc, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, groups;
  bool src_signed, wgt_signed;
  int32_t src_zp, wgt_zp;
  bool bias, accumulate;
};

std::vector<int32_t> conv_reference(const ConvCase& p, const std::vector<int32_t>& x,
                                    const std::vector<int32_t>& w, const std::vector<int32_t>& b,
                                    const std::vector<int32_t>& d0) {
  const int64_t oh = conv_out_size(p.h, p.pt, p.pb, p.kh, p.sh, p.dh);
  const int64_t ow = conv_out_size(p.w, p.pl, p.pr, p.kw, p.sw, p.dw);
  const int64_t cg = p.c / p.groups, ocg = p.oc / p.groups;
  std::vector<int32_t> out(oh * ow * p.oc);
  for (int64_t oy = 0; oy < oh; ++oy)
    for (int64_t ox = 0; ox < ow; ++ox)
      for (int64_t o = 0; o < p.oc; ++o) {
        int64_t acc = p.bias ? b[o] : 0;
        const int64_t g = o / ocg;
        for (int64_t ky = 0; ky < p.kh; ++ky)
          for (int64_t kx = 0; kx < p.kw; ++kx)
            for (int64_t ic = 0; ic < cg; ++ic) {
              const int64_t iy = oy * p.sh - p.pt + ky * p.dh, ix = ox * p.sw - p.pl + kx * p.dw;
              const bool pad = iy < 0 || iy >= p.h || ix < 0 || ix >= p.w;
              const int64_t xv = pad ? p.src_zp : x[(iy * p.w + ix) * p.c + g * cg + ic];
              const int64_t wv = w[((o * p.kh + ky) * p.kw + kx) * cg + ic];
              acc += (xv - p.src_zp) * (wv - p.wgt_zp);
            }
        const int64_t i = (oy * ow + ox) * p.oc + o;
        out[i] = wrap32(acc + (p.accumulate ? d0[i] : 0));
      }
  return out;
}

void check_conv(const ConvCase& p, uint32_t seed) {
  std::mt19937 rng(seed);
  const int64_t oh = conv_out_size(p.h, p.pt, p.pb, p.kh, p.sh, p.dh);
  const int64_t ow = conv_out_size(p.w, p.pl, p.pr, p.kw, p.sw, p.dw);
  const auto x = random_q(rng, p.h * p.w * p.c, p.src_signed);
  const auto w = random_q(rng, p.oc * p.kh * p.kw * (p.c / p.groups), p.wgt_signed);
  const auto b = random_i32(rng, p.oc, INT32_MIN, INT32_MAX);
  const auto d0 = random_i32(rng, oh * ow * p.oc, INT32_MIN, INT32_MAX);
  Sram m;
  const uint64_t src = m.put8(x), wgt = m.put8(w), bias = m.put32(b), dst = m.put32(d0);
  m.run(make(Opcode::kMatConv, {{F::kSrc, int64_t(src)},
                                {F::kWgt, int64_t(wgt)},
                                {F::kBias, int64_t(bias)},
                                {F::kDst, int64_t(dst)},
                                {F::kInH, p.h},
                                {F::kInW, p.w},
                                {F::kInC, p.c},
                                {F::kOutC, p.oc},
                                {F::kKH, p.kh},
                                {F::kKW, p.kw},
                                {F::kStrideH, p.sh},
                                {F::kStrideW, p.sw},
                                {F::kDilH, p.dh},
                                {F::kDilW, p.dw},
                                {F::kPadT, p.pt},
                                {F::kPadL, p.pl},
                                {F::kPadB, p.pb},
                                {F::kPadR, p.pr},
                                {F::kGroups, p.groups},
                                {F::kSrcZp, p.src_zp},
                                {F::kWgtZp, p.wgt_zp},
                                {F::kSrcSigned, p.src_signed},
                                {F::kWgtSigned, p.wgt_signed},
                                {F::kBiasEn, p.bias},
                                {F::kAccumulate, p.accumulate}}));
  EXPECT_EQ(m.get32(dst, d0.size()), conv_reference(p, x, w, b, d0));
}

TEST(MatConv, MatchesReference) {
  // h  w  c  oc kh kw sh sw dh dw pt pl pb pr g  ss  ws  szp  wzp bias acc
  const ConvCase cases[] = {
      {8, 9, 16, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, false, true, 128, 0, true, false},
      {9, 7, 8, 24, 3, 3, 2, 2, 1, 1, 0, 1, 1, 0, 1, true, true, -3, 0, true, false},
      {11, 10, 5, 7, 3, 2, 1, 2, 2, 3, 2, 2, 1, 3, 1, true, true, 4, 0, false, false},
      {6, 6, 16, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2, false, true, 7, 0, true, true},
      {7, 8, 12, 12, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 12, false, true, 120, 0, true, false},
      {7, 8, 6, 12, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 6, true, true, -1, 0, true, true},
      {9, 8, 35, 35, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 35, false, true, 120, 0, true, false},
      {7, 7, 32, 32, 5, 5, 2, 2, 1, 1, 2, 2, 2, 2, 32, true, false, -3, 7, true, true},
      {6, 5, 48, 48, 2, 2, 1, 1, 2, 1, 1, 0, 0, 1, 48, true, true, 127, -128, false, false},
      {5, 6, 20, 20, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 20, false, true, -5, 0, true, true},
      {5, 5, 3, 17, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, true, false, -5, 100, true, true},
      {4, 5, 9, 19, 2, 2, 1, 1, 1, 1, 0, 1, 1, 0, 1, false, false, 255, 255, false, true},
      {4, 4, 300, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, false, true, 0, 0, true, false},
      {3, 3, 4, 4, 5, 5, 1, 1, 1, 1, 4, 4, 4, 4, 1, true, true, 9, -2, true, false},
      {6, 5, 8, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 4, true, true, 2, 1, false, false},
      {5, 4, 6, 9, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 3, true, false, 32767, -32768, true, true},
      // ^ zero points whose (x - zp) exceeds int16: the exact non-GEMM path
  };
  uint32_t seed = 1;
  for (const auto& p : cases) {
    SCOPED_TRACE(testing::Message()
                 << "case " << seed << ": " << p.h << "x" << p.w << "x" << p.c << " -> " << p.oc
                 << " k" << p.kh << "x" << p.kw << " g" << p.groups);
    check_conv(p, seed++);
  }
}

TEST(MatConv, ExtremeValuesWrapInt32) {
  // 255 * 255 * 9 * 4000 > 2^31: the accumulator wraps like the device's int32.
  std::vector<int32_t> x(3 * 3 * 4000, 255), w(3 * 9 * 4000, 255);
  Sram m;
  const uint64_t src = m.put8(x), wgt = m.put8(w), dst = m.alloc(12);
  m.run(make(Opcode::kMatConv, {{F::kSrc, int64_t(src)},
                                {F::kWgt, int64_t(wgt)},
                                {F::kDst, int64_t(dst)},
                                {F::kInH, 3},
                                {F::kInW, 3},
                                {F::kInC, 4000},
                                {F::kOutC, 3},
                                {F::kKH, 3},
                                {F::kKW, 3},
                                {F::kStrideH, 1},
                                {F::kStrideW, 1},
                                {F::kDilH, 1},
                                {F::kDilW, 1},
                                {F::kGroups, 1}}));
  const int32_t want = wrap32(int64_t{255} * 255 * 9 * 4000);
  EXPECT_EQ(m.get32(dst, 3), std::vector<int32_t>(3, want));
}

TEST(MatConv, GroupsMustDivideChannels) {
  Sram m;
  m.alloc(4096);
  EXPECT_THROW(m.run(make(Opcode::kMatConv, {{F::kInH, 2},
                                             {F::kInW, 2},
                                             {F::kInC, 3},
                                             {F::kOutC, 4},
                                             {F::kKH, 1},
                                             {F::kKW, 1},
                                             {F::kStrideH, 1},
                                             {F::kStrideW, 1},
                                             {F::kDilH, 1},
                                             {F::kDilW, 1},
                                             {F::kGroups, 2}})),
               IsaError);
}

// ---------------------------------------------------------------- mat.mm

TEST(MatMul, MatchesReference) {
  struct Case {
    int64_t m, k, n;
    bool ss, ws;
    int32_t szp, wzp;
    bool bias, acc;
  };
  const Case cases[] = {{13, 19, 17, true, true, -3, 0, true, false},
                        {1, 1, 1, false, false, 0, 0, false, false},
                        {6, 64, 16, false, true, 128, 0, true, true},
                        {20, 1001, 33, false, false, 37, 200, true, true},
                        {7, 5, 3, true, false, 300, -1, false, true}};
  uint32_t seed = 100;
  for (const auto& p : cases) {
    SCOPED_TRACE(testing::Message() << p.m << "x" << p.k << "x" << p.n);
    std::mt19937 rng(seed++);
    const auto a = random_q(rng, p.m * p.k, p.ss), w = random_q(rng, p.n * p.k, p.ws);
    const auto b = random_i32(rng, p.n, INT32_MIN, INT32_MAX);
    const auto d0 = random_i32(rng, p.m * p.n, INT32_MIN, INT32_MAX);
    Sram s;
    const uint64_t src = s.put8(a), wgt = s.put8(w), bias = s.put32(b), dst = s.put32(d0);
    s.run(make(Opcode::kMatMul, {{F::kSrc, int64_t(src)},
                                 {F::kWgt, int64_t(wgt)},
                                 {F::kBias, int64_t(bias)},
                                 {F::kDst, int64_t(dst)},
                                 {F::kM, p.m},
                                 {F::kK, p.k},
                                 {F::kN, p.n},
                                 {F::kSrcZp, p.szp},
                                 {F::kWgtZp, p.wzp},
                                 {F::kSrcSigned, p.ss},
                                 {F::kWgtSigned, p.ws},
                                 {F::kBiasEn, p.bias},
                                 {F::kAccumulate, p.acc}}));
    std::vector<int32_t> want(p.m * p.n);
    for (int64_t i = 0; i < p.m; ++i)
      for (int64_t j = 0; j < p.n; ++j) {
        int64_t acc = int64_t{p.bias ? b[j] : 0} + (p.acc ? d0[i * p.n + j] : 0);
        for (int64_t k = 0; k < p.k; ++k)
          acc += int64_t{a[i * p.k + k] - p.szp} * (w[j * p.k + k] - p.wzp);
        want[i * p.n + j] = wrap32(acc);
      }
    EXPECT_EQ(s.get32(dst, want.size()), want);
  }
}

// ---------------------------------------------------------------- vec.requant

Instruction requant(uint64_t src, uint64_t dst, int64_t count, int64_t ch, FixedMultiplier m,
                    int32_t zp, bool out_signed, int32_t lo, int32_t hi) {
  return make(Opcode::kVecRequant, {{F::kSrc, int64_t(src)},
                                    {F::kDst, int64_t(dst)},
                                    {F::kCount, count},
                                    {F::kChannels, ch},
                                    {F::kMult, m.mult},
                                    {F::kShift, m.shift},
                                    {F::kOutZp, zp},
                                    {F::kOutSigned, out_signed},
                                    {F::kClampLo, lo},
                                    {F::kClampHi, hi}});
}

TEST(VecRequant, HandCheckedRoundingAndClamp) {
  Sram m;
  const uint64_t src = m.put32({100, 3, 5, -5, -3, 1000, -1000}), dst = m.alloc(7);
  const FixedMultiplier half{1 << 30, 0};  // 0.5
  m.run(requant(src, dst, 1, 7, half, 10, true, -32768, 32767));
  // 50, 1.5 -> 2, 2.5 -> 2, -2.5 -> -2, -1.5 -> -2 (half to even), saturation at 127 / -128.
  EXPECT_EQ(m.get8(dst, 7, true), (std::vector<int32_t>{60, 12, 12, 8, 8, 127, -128}));
  m.run(requant(src, dst, 1, 7, half, 10, false, 10, 16));  // clamp window inside uint8
  EXPECT_EQ(m.get8(dst, 7, false), (std::vector<int32_t>{16, 12, 12, 10, 10, 16, 10}));
}

TEST(VecRequant, PerChannelMatchesReference) {
  std::mt19937 rng(5);
  const int64_t count = 9, ch = 11;
  const auto x = random_i32(rng, count * ch, -(1 << 20), 1 << 20);
  std::vector<FixedMultiplier> mults;
  std::vector<int32_t> table;
  for (int64_t c = 0; c < ch; ++c) {
    mults.push_back(quantize_multiplier(std::ldexp(1.0 + c * 0.37, -12 + int(c % 5))));
    table.push_back(mults.back().mult);
    table.push_back(mults.back().shift);
  }
  for (bool out_signed : {false, true}) {
    Sram m;
    const uint64_t src = m.put32(x), params = m.put32(table), dst = m.alloc(count * ch);
    Instruction in = requant(src, dst, count, ch, {}, out_signed ? -4 : 120, out_signed, -20, 200);
    in[F::kPerChannel] = 1;
    in[F::kParams] = int64_t(params);
    m.run(in);
    std::vector<int32_t> want;
    for (int64_t i = 0; i < count; ++i)
      for (int64_t c = 0; c < ch; ++c) {
        const int64_t v =
            (out_signed ? -4 : 120) + requantize(x[i * ch + c], mults[c].mult, mults[c].shift);
        want.push_back(static_cast<int32_t>(
            saturate(v, std::max(-20, qmin(out_signed)), std::min(200, qmax(out_signed)))));
      }
    EXPECT_EQ(m.get8(dst, count * ch, out_signed), want) << "out_signed=" << out_signed;
  }
}

// In place (dst == src), with dst below src, and with dst a few bytes above
// src (later elements then read bytes written before them), over several
// chunks of the kernel: each against the definition run element by element
// on a copy of the SRAM.
TEST(VecRequant, EveryOverlapMatchesElementByElement) {
  std::mt19937 rng(6);
  const int64_t count = 3000, ch = 3;
  const auto x = random_i32(rng, count * ch, -(1 << 24), 1 << 24);
  const FixedMultiplier m{1518500250, -9};
  for (int64_t offset : {0, -7, 5, 1}) {
    Sram mem;
    const uint64_t region = mem.alloc(8 * count * ch), src = region + 4 * count * ch / 2;
    for (size_t i = 0; i < x.size(); ++i) std::memcpy(&mem[src + 4 * i], &x[i], 4);
    const uint64_t dst = src + offset;
    std::vector<uint8_t> want(8 * count * ch);
    for (size_t i = 0; i < want.size(); ++i) want[i] = mem[region + i];
    for (int64_t e = 0; e < count * ch; ++e) {
      int32_t v;
      std::memcpy(&v, &want[src - region + 4 * e], 4);
      want[dst - region + e] = static_cast<uint8_t>(requantize_to_8bit(v, m, 3, true, -100, 100));
    }
    mem.run(requant(src, dst, count, ch, m, 3, true, -100, 100));
    std::vector<uint8_t> got(want.size());
    for (size_t i = 0; i < got.size(); ++i) got[i] = mem[region + i];
    EXPECT_EQ(got, want) << "dst - src = " << offset;
  }
}

// ---------------------------------------------------------------- vec.add / vec.mul

int64_t bcast_offset(int64_t mode, int64_t i, int64_t c, int64_t ch) {
  return mode == 0 ? i * ch + c : mode == 1 ? c : mode == 2 ? i : 0;
}

struct BinaryParams {
  int32_t za = 3, zb = -7, out_zp = 5;
  bool in_signed = true, out_signed = true;
  FixedMultiplier ma{1 << 30, -19}, mb{1518500250, -19}, out{1 << 30, -1};
  int32_t lo = -100, hi = 90;
};

void check_binary(Opcode op, const BinaryParams& p, uint32_t seed, int64_t count = 5,
                  int64_t ch = 7) {
  const int64_t n = count * ch;
  std::mt19937 rng(seed);
  for (int ma = 0; ma < 4; ++ma)
    for (int mb = 0; mb < 4; ++mb) {
      SCOPED_TRACE(testing::Message() << "bcast_a=" << ma << " bcast_b=" << mb);
      const auto sizes = [&](int mode) {
        return mode == 0 ? n : mode == 1 ? ch : mode == 2 ? count : 1;
      };
      const auto a = random_q(rng, sizes(ma), p.in_signed),
                 b = random_q(rng, sizes(mb), p.in_signed);
      Sram m;
      const uint64_t sa = m.put8(a), sb = m.put8(b), dst = m.alloc(n);
      Instruction in = make(op, {{F::kSrc, int64_t(sa)},
                                 {F::kSrc2, int64_t(sb)},
                                 {F::kDst, int64_t(dst)},
                                 {F::kCount, count},
                                 {F::kChannels, ch},
                                 {F::kBcastA, ma},
                                 {F::kBcastB, mb},
                                 {F::kSrcZp, p.za},
                                 {F::kSrc2Zp, p.zb},
                                 {F::kOutZp, p.out_zp},
                                 {F::kSrcSigned, p.in_signed},
                                 {F::kOutSigned, p.out_signed},
                                 {F::kMultOut, p.out.mult},
                                 {F::kShiftOut, p.out.shift},
                                 {F::kClampLo, p.lo},
                                 {F::kClampHi, p.hi}});
      if (op == Opcode::kVecAdd) {
        in[F::kMult] = p.ma.mult, in[F::kShift] = p.ma.shift;
        in[F::kMult2] = p.mb.mult, in[F::kShift2] = p.mb.shift;
      }
      m.run(in);
      std::vector<int32_t> want;
      for (int64_t i = 0; i < count; ++i)
        for (int64_t c = 0; c < ch; ++c) {
          const int64_t xa = a[bcast_offset(ma, i, c, ch)] - p.za;
          const int64_t xb = b[bcast_offset(mb, i, c, ch)] - p.zb;
          const int64_t acc = op == Opcode::kVecAdd
                                  ? requantize(xa * (1 << 20), p.ma.mult, p.ma.shift) +
                                        requantize(xb * (1 << 20), p.mb.mult, p.mb.shift)
                                  : xa * xb;
          const int64_t y = p.out_zp + requantize(acc, p.out.mult, p.out.shift);
          want.push_back(static_cast<int32_t>(
              saturate(y, std::max(p.lo, qmin(p.out_signed)), std::min(p.hi, qmax(p.out_signed)))));
        }
      EXPECT_EQ(m.get8(dst, n, p.out_signed), want);
    }
}

TEST(VecAdd, AllBroadcastModesMatchReference) {
  check_binary(Opcode::kVecAdd, BinaryParams{}, 11);
  BinaryParams u;
  u.in_signed = u.out_signed = false;
  u.za = 128, u.zb = 100, u.out_zp = 130, u.lo = 0, u.hi = 255;
  check_binary(Opcode::kVecAdd, u, 12);
}

// Long enough for several of the kernels' chunks, channel rows crossing them.
TEST(VecAdd, LongRowsMatchReference) {
  check_binary(Opcode::kVecAdd, BinaryParams{}, 13, 301, 11);
}

// A large output multiplier: the accumulator bound rules out the vectorised
// form and the definition runs (same results either way).
TEST(VecMul, LargeScalesMatchReference) {
  BinaryParams p;
  p.za = -32768, p.zb = 32767, p.out = {INT32_MAX, 20};
  check_binary(Opcode::kVecMul, p, 14, 40, 30);
}

// In place on either input (dst == src or dst == src2, full shape), across chunks.
TEST(VecAdd, InPlaceOnEitherInput) {
  for (bool on_b : {false, true}) {
    std::mt19937 rng(15);
    const int64_t n = 2500;
    const auto a = random_q(rng, n, true), b = random_q(rng, n, true);
    Sram m;
    const uint64_t sa = m.put8(a), sb = m.put8(b);
    const FixedMultiplier ma{1 << 30, -19}, mb{1518500250, -19}, out{1 << 30, -1};
    m.run(make(Opcode::kVecAdd, {{F::kSrc, int64_t(sa)},
                                 {F::kSrc2, int64_t(sb)},
                                 {F::kDst, int64_t(on_b ? sb : sa)},
                                 {F::kCount, n},
                                 {F::kChannels, 1},
                                 {F::kSrcZp, 2},
                                 {F::kSrc2Zp, -1},
                                 {F::kOutZp, 0},
                                 {F::kSrcSigned, 1},
                                 {F::kOutSigned, 1},
                                 {F::kMult, ma.mult},
                                 {F::kShift, ma.shift},
                                 {F::kMult2, mb.mult},
                                 {F::kShift2, mb.shift},
                                 {F::kMultOut, out.mult},
                                 {F::kShiftOut, out.shift},
                                 {F::kClampLo, -128},
                                 {F::kClampHi, 127}}));
    std::vector<int32_t> want(n);
    for (int64_t i = 0; i < n; ++i) {
      const int64_t acc = requantize((a[i] - 2) * (int64_t{1} << 20), ma.mult, ma.shift) +
                          requantize((b[i] + 1) * (int64_t{1} << 20), mb.mult, mb.shift);
      want[i] = requantize_to_8bit(acc, out, 0, true);
    }
    EXPECT_EQ(m.get8(on_b ? sb : sa, n, true), want) << (on_b ? "dst == src2" : "dst == src");
  }
}

TEST(VecAdd, HandChecked) {
  // Equal scales: sa = a, sb = b (mult 0.5 * 2^-19 undoes the << 20); output scale 1.
  Sram m;
  const uint64_t a = m.put8({10, -20, 100}), b = m.put8({20, -30, 100}), dst = m.alloc(3);
  m.run(make(Opcode::kVecAdd, {{F::kSrc, int64_t(a)},
                               {F::kSrc2, int64_t(b)},
                               {F::kDst, int64_t(dst)},
                               {F::kCount, 1},
                               {F::kChannels, 3},
                               {F::kSrcSigned, 1},
                               {F::kOutSigned, 1},
                               {F::kMult, 1 << 30},
                               {F::kShift, -19},
                               {F::kMult2, 1 << 30},
                               {F::kShift2, -19},
                               {F::kMultOut, 1 << 30},
                               {F::kShiftOut, 1},
                               {F::kOutZp, 1},
                               {F::kClampLo, -128},
                               {F::kClampHi, 127}}));
  EXPECT_EQ(m.get8(dst, 3, true), (std::vector<int32_t>{31, -49, 127}));
}

TEST(VecMul, AllBroadcastModesMatchReference) {
  BinaryParams p;
  p.out = {1518500250, -6};
  check_binary(Opcode::kVecMul, p, 21);
  p.in_signed = false, p.za = 0, p.zb = 255, p.out_signed = false, p.out_zp = 0, p.lo = 3;
  check_binary(Opcode::kVecMul, p, 22);
}

TEST(VecMul, HandChecked) {
  Sram m;
  const uint64_t a = m.put8({3, 4}), b = m.put8({5}), dst = m.alloc(2);
  m.run(make(Opcode::kVecMul, {{F::kSrc, int64_t(a)},
                               {F::kSrc2, int64_t(b)},
                               {F::kDst, int64_t(dst)},
                               {F::kCount, 2},
                               {F::kChannels, 1},
                               {F::kBcastB, 3},
                               {F::kSrcZp, 1},
                               {F::kSrc2Zp, 2},
                               {F::kSrcSigned, 1},
                               {F::kOutSigned, 1},
                               {F::kMultOut, 1 << 30},
                               {F::kShiftOut, 0},
                               {F::kOutZp, 10},
                               {F::kClampLo, -128},
                               {F::kClampHi, 127}}));
  // (3-1)*(5-2)*0.5 = 3; (4-1)*3*0.5 = 4.5 -> 4 (half to even).
  EXPECT_EQ(m.get8(dst, 2, true), (std::vector<int32_t>{13, 14}));
}

// ---------------------------------------------------------------- vec.lut / fill / copy

TEST(VecLut, LooksUpEveryByteInPlace) {
  Sram m;
  std::vector<int32_t> table(256), data(300);
  for (int i = 0; i < 256; ++i) table[i] = 255 - i;
  for (int i = 0; i < 300; ++i) data[i] = (i * 7) % 256;
  const uint64_t t = m.put8(table), d = m.put8(data);
  m.run(make(
      Opcode::kVecLut,
      {{F::kSrc, int64_t(d)}, {F::kDst, int64_t(d)}, {F::kLen, 300}, {F::kTable, int64_t(t)}}));
  const auto got = m.get8(d, 300, false);
  for (int i = 0; i < 300; ++i) EXPECT_EQ(got[i], 255 - (i * 7) % 256) << i;
}

// Every table byte and every position of a 64-byte vector (plus a tail), with
// dst apart, exactly in place, below src and just above src (where the
// definition reads bytes already written, element by element).
TEST(VecLut, RandomTableAtEveryOverlap) {
  std::mt19937 rng(21);
  for (int64_t shift : {-1000, 0, -5, 3}) {
    Sram m;
    std::vector<int32_t> table(256), data(1000);
    for (auto& v : table) v = int32_t(rng() % 256);
    for (auto& v : data) v = int32_t(rng() % 256);
    const uint64_t t = m.put8(table), region = m.alloc(3000);
    const uint64_t src = region + 500, dst = shift == -1000 ? region + 1600 : src + shift;
    for (size_t i = 0; i < data.size(); ++i) m[src + i] = static_cast<uint8_t>(data[i]);
    // The definition on a copy of the SRAM region, element by element.
    std::vector<int32_t> want(3000);
    for (int i = 0; i < 3000; ++i) want[i] = m[region + i];
    for (int64_t i = 0; i < 999; ++i) want[dst - region + i] = table[want[src - region + i]];
    m.run(make(Opcode::kVecLut, {{F::kSrc, int64_t(src)},
                                 {F::kDst, int64_t(dst)},
                                 {F::kLen, 999},
                                 {F::kTable, int64_t(t)}}));
    EXPECT_EQ(m.get8(region, 3000, false), want) << "dst - src = " << shift;
  }
}

TEST(VecLutN, ElementIUsesTableIModTables) {
  // Three tables: add 0, 10 and 20 to the code. Seven elements cycle through them.
  Sram m;
  std::vector<int32_t> tables(3 * 256), data = {1, 2, 3, 4, 5, 6, 7};
  for (int t = 0; t < 3; ++t)
    for (int i = 0; i < 256; ++i) tables[256 * t + i] = (i + 10 * t) % 256;
  const uint64_t t = m.put8(tables), d = m.put8(data), out = m.alloc(7);
  m.run(make(Opcode::kVecLutN, {{F::kSrc, int64_t(d)},
                                {F::kDst, int64_t(out)},
                                {F::kLen, 7},
                                {F::kTable, int64_t(t)},
                                {F::kTables, 3}}));
  EXPECT_EQ(m.get8(out, 7, false), (std::vector<int32_t>{1, 12, 23, 4, 15, 26, 7}));
}

TEST(VecLutN, InPlaceOverTheTablesStillReadsTheOriginalTables) {
  // dst covers the first table: every lookup must still see the table as it was.
  Sram m;
  std::vector<int32_t> tables(2 * 256);
  for (int i = 0; i < 512; ++i) tables[i] = 255 - (i % 256);
  const uint64_t t = m.put8(tables);
  m.run(make(Opcode::kVecLutN, {{F::kSrc, int64_t(t)},
                                {F::kDst, int64_t(t)},
                                {F::kLen, 4},
                                {F::kTable, int64_t(t)},
                                {F::kTables, 2}}));
  // src bytes were 255, 254, 253, 252 -> tables 0, 1, 0, 1 -> 255 - code.
  EXPECT_EQ(m.get8(t, 4, false), (std::vector<int32_t>{0, 1, 2, 3}));
}

TEST(VecLutN, ZeroTablesIsAnError) {
  Sram m;
  const uint64_t d = m.put8({1, 2});
  EXPECT_THROW(m.run(make(Opcode::kVecLutN, {{F::kSrc, int64_t(d)},
                                             {F::kDst, int64_t(d)},
                                             {F::kLen, 2},
                                             {F::kTable, int64_t(d)},
                                             {F::kTables, 0}})),
               IsaError);
}

TEST(VecFill, SetsBytes) {
  Sram m;
  const uint64_t d = m.put8(std::vector<int32_t>(10, 1));
  m.run(make(Opcode::kVecFill, {{F::kDst, int64_t(d + 2)}, {F::kLen, 5}, {F::kValue, 0xab}}));
  EXPECT_EQ(m.get8(d, 10, false),
            (std::vector<int32_t>{1, 1, 0xab, 0xab, 0xab, 0xab, 0xab, 1, 1, 1}));
}

Instruction copy_instr(uint64_t src, uint64_t dst, int64_t elem, std::array<int64_t, 3> cnt,
                       std::array<int64_t, 3> ss, std::array<int64_t, 3> ds) {
  return make(Opcode::kVecCopy, {{F::kSrc, int64_t(src)},
                                 {F::kDst, int64_t(dst)},
                                 {F::kElem, elem},
                                 {F::kCnt0, cnt[0]},
                                 {F::kCnt1, cnt[1]},
                                 {F::kCnt2, cnt[2]},
                                 {F::kSrcS0, ss[0]},
                                 {F::kSrcS1, ss[1]},
                                 {F::kSrcS2, ss[2]},
                                 {F::kDstS0, ds[0]},
                                 {F::kDstS1, ds[1]},
                                 {F::kDstS2, ds[2]}});
}

TEST(VecCopy, TransposesHwcToChw) {
  // [2][3][4] HWC bytes -> [4][2][3] CHW: i0 = w, i1 = h, i2 = c.
  Sram m;
  std::vector<int32_t> x(24);
  for (int i = 0; i < 24; ++i) x[i] = i;
  const uint64_t src = m.put8(x), dst = m.alloc(24);
  m.run(copy_instr(src, dst, 1, {3, 2, 4}, {4, 12, 1}, {1, 3, 6}));
  const auto got = m.get8(dst, 24, false);
  for (int c = 0; c < 4; ++c)
    for (int h = 0; h < 2; ++h)
      for (int w = 0; w < 3; ++w) EXPECT_EQ(got[(c * 2 + h) * 3 + w], (h * 3 + w) * 4 + c);
}

TEST(VecCopy, WideElementsAndPadding) {
  // Copies 3 rows of 2 int32 into a 4-wide destination (stride 16 bytes).
  Sram m;
  const uint64_t src = m.put32({1, 2, 3, 4, 5, 6}), dst = m.put32(std::vector<int32_t>(12, 0));
  m.run(copy_instr(src, dst, 4, {2, 3, 1}, {4, 8, 0}, {4, 16, 0}));
  EXPECT_EQ(m.get32(dst, 12), (std::vector<int32_t>{1, 2, 0, 0, 3, 4, 0, 0, 5, 6, 0, 0}));
  const uint64_t h = m.put8({1, 2, 3, 4, 5, 6}), hd = m.alloc(4);  // elem 2, every other
  m.run(copy_instr(h, hd, 2, {2, 1, 1}, {4, 0, 0}, {2, 0, 0}));
  EXPECT_EQ(m.get8(hd, 4, false), (std::vector<int32_t>{1, 2, 5, 6}));
}

TEST(VecCopy, OverlapReadsBeforeWriting) {
  Sram m;
  std::vector<int32_t> x(12);
  for (int i = 0; i < 12; ++i) x[i] = i + 1;
  const uint64_t b = m.put8(x);
  m.run(copy_instr(b, b + 1, 1, {10, 1, 1}, {1, 0, 0}, {1, 0, 0}));  // shift right by one
  EXPECT_EQ(m.get8(b, 12, false), (std::vector<int32_t>{1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12}));
  m.run(copy_instr(b + 2, b, 1, {5, 1, 1}, {2, 0, 0}, {1, 0, 0}));  // compact every other
  EXPECT_EQ(m.get8(b, 6, false), (std::vector<int32_t>{2, 4, 6, 8, 10, 5}));
}

TEST(VecCopy, RejectsBadElementSize) {
  Sram m;
  m.alloc(64);
  EXPECT_THROW(m.run(copy_instr(1, 20, 3, {1, 1, 1}, {3, 0, 0}, {3, 0, 0})), IsaError);
}

// ---------------------------------------------------------------- vec.pool

struct PoolCase {
  int64_t h, w, c, kh, kw, sh, sw, pt, pl, pb, pr, mode;
  bool count_pad, is_signed;
  int32_t zp, out_zp;
  FixedMultiplier m;
};

void check_pool(const PoolCase& p, uint32_t seed) {
  std::mt19937 rng(seed);
  const int64_t oh = conv_out_size(p.h, p.pt, p.pb, p.kh, p.sh, 1);
  const int64_t ow = conv_out_size(p.w, p.pl, p.pr, p.kw, p.sw, 1);
  const auto x = random_q(rng, p.h * p.w * p.c, p.is_signed);
  Sram s;
  const uint64_t src = s.put8(x), dst = s.alloc(oh * ow * p.c);
  s.run(make(Opcode::kVecPool,
             {{F::kSrc, int64_t(src)}, {F::kDst, int64_t(dst)}, {F::kInH, p.h},
              {F::kInW, p.w},          {F::kInC, p.c},          {F::kKH, p.kh},
              {F::kKW, p.kw},          {F::kStrideH, p.sh},     {F::kStrideW, p.sw},
              {F::kPadT, p.pt},        {F::kPadL, p.pl},        {F::kPadB, p.pb},
              {F::kPadR, p.pr},        {F::kMode, p.mode},      {F::kCountPad, p.count_pad},
              {F::kSrcZp, p.zp},       {F::kOutZp, p.out_zp},   {F::kSrcSigned, p.is_signed},
              {F::kMult, p.m.mult},    {F::kShift, p.m.shift}}));
  std::vector<int32_t> want;
  for (int64_t oy = 0; oy < oh; ++oy)
    for (int64_t ox = 0; ox < ow; ++ox)
      for (int64_t c = 0; c < p.c; ++c) {
        int64_t best = qmin(p.is_signed), sum = 0, valid = 0;
        for (int64_t ky = 0; ky < p.kh; ++ky)
          for (int64_t kx = 0; kx < p.kw; ++kx) {
            const int64_t iy = oy * p.sh - p.pt + ky, ix = ox * p.sw - p.pl + kx;
            if (iy < 0 || iy >= p.h || ix < 0 || ix >= p.w) continue;
            const int64_t v = x[(iy * p.w + ix) * p.c + c];
            best = std::max(best, v);
            sum += v - p.zp;
            ++valid;
          }
        const int64_t cnt = p.count_pad ? p.kh * p.kw : valid;
        const int64_t avg = p.out_zp + (cnt ? requantize_div(sum, p.m.mult, p.m.shift, cnt) : 0);
        want.push_back(static_cast<int32_t>(
            p.mode == 0 ? best : saturate(avg, qmin(p.is_signed), qmax(p.is_signed))));
      }
  EXPECT_EQ(s.get8(dst, want.size(), p.is_signed), want);
}

TEST(VecPool, MatchesReference) {
  const FixedMultiplier one{1 << 30, 1}, other = quantize_multiplier(0.73);
  const PoolCase cases[] = {
      {6, 7, 5, 2, 2, 2, 2, 0, 0, 0, 0, 0, false, true, 0, 0, one},
      {7, 7, 3, 3, 3, 2, 2, 1, 1, 1, 1, 0, false, false, 0, 0, one},
      {7, 6, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, false, false, 128, 120, one},
      {7, 6, 4, 3, 3, 2, 1, 1, 2, 0, 1, 1, true, true, -3, 4, other},
      {5, 5, 2, 5, 5, 1, 1, 0, 0, 0, 0, 1, false, true, 10, -10, other},  // global average
      {2, 2, 3, 3, 3, 1, 1, 2, 2, 2, 2, 1, false, false, 0, 7, one},      // all-padding windows
      {2, 2, 3, 3, 3, 1, 1, 2, 2, 2, 2, 0, false, true, 0, 0, one},
  };
  uint32_t seed = 40;
  for (const auto& p : cases) {
    SCOPED_TRACE(testing::Message() << "case seed " << seed);
    check_pool(p, seed++);
  }
}

TEST(VecPool, HandCheckedAverageRoundsHalfToEven) {
  Sram m;
  const uint64_t src = m.put8({1, 2, 3, 4}), dst = m.alloc(1);
  Instruction in = make(Opcode::kVecPool, {{F::kSrc, int64_t(src)},
                                           {F::kDst, int64_t(dst)},
                                           {F::kInH, 2},
                                           {F::kInW, 2},
                                           {F::kInC, 1},
                                           {F::kKH, 2},
                                           {F::kKW, 2},
                                           {F::kStrideH, 1},
                                           {F::kStrideW, 1},
                                           {F::kMode, 1},
                                           {F::kMult, 1 << 30},
                                           {F::kShift, 1}});
  m.run(in);
  EXPECT_EQ(m.get8(dst, 1, false)[0], 2);  // 10 / 4 = 2.5 -> 2
  in[F::kPadT] = 1;                        // window rows {pad, row 0}: (1 + 2) / 2 = 1.5 -> 2
  m.run(in);
  EXPECT_EQ(m.get8(dst, 1, false)[0], 2);
  in[F::kCountPad] = 1;  // 3 / 4 = 0.75 -> 1
  m.run(in);
  EXPECT_EQ(m.get8(dst, 1, false)[0], 1);
  in[F::kMode] = 2;
  EXPECT_THROW(m.run(in), IsaError);
}

// ---------------------------------------------------------------- vec.resize

std::vector<int32_t> resize(const std::vector<int32_t>& x, int64_t ih, int64_t iw, int64_t c,
                            int64_t oh, int64_t ow, int64_t mode, int64_t coord,
                            bool is_signed = false) {
  Sram m;
  const uint64_t src = m.put8(x), dst = m.alloc(oh * ow * c);
  m.run(make(Opcode::kVecResize, {{F::kSrc, int64_t(src)},
                                  {F::kDst, int64_t(dst)},
                                  {F::kInH, ih},
                                  {F::kInW, iw},
                                  {F::kInC, c},
                                  {F::kOutH, oh},
                                  {F::kOutW, ow},
                                  {F::kMode, mode},
                                  {F::kCoordMode, coord},
                                  {F::kSrcSigned, is_signed}}));
  return m.get8(dst, oh * ow * c, is_signed);
}

using V = std::vector<int32_t>;

TEST(VecResize, NearestUpsample2x) {
  const V want = {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4};
  EXPECT_EQ(resize({1, 2, 3, 4}, 2, 2, 1, 4, 4, 0, 0), want);  // floor, asymmetric
  EXPECT_EQ(resize({1, 2, 3, 4}, 2, 2, 1, 4, 4, 1, 1), want);  // round, half_pixel
  // Channels move together.
  EXPECT_EQ(resize({1, 10, 2, 20}, 1, 2, 2, 1, 4, 0, 0), (V{1, 10, 1, 10, 2, 20, 2, 20}));
}

TEST(VecResize, NearestModesOnTies) {
  // asymmetric 3 -> 2: x = 0, 1.5 (a tie).
  const V x = {10, 20, 30};
  EXPECT_EQ(resize(x, 1, 3, 1, 1, 2, 0, 0), (V{10, 20}));  // floor
  EXPECT_EQ(resize(x, 1, 3, 1, 1, 2, 1, 0), (V{10, 20}));  // round_prefer_floor
  EXPECT_EQ(resize(x, 1, 3, 1, 1, 2, 2, 0), (V{10, 30}));  // round_prefer_ceil
  EXPECT_EQ(resize(x, 1, 3, 1, 1, 2, 3, 0), (V{10, 30}));  // ceil
  // asymmetric 3 -> 5: x = 0, 0.6, 1.2, 1.8, 2.4.
  EXPECT_EQ(resize(x, 1, 3, 1, 1, 5, 3, 0), (V{10, 20, 30, 30, 30}));  // ceil (clamped)
  EXPECT_EQ(resize(x, 1, 3, 1, 1, 5, 1, 0), (V{10, 20, 20, 30, 30}));
  // align_corners 3 -> 2: x = 0, 2.
  EXPECT_EQ(resize(x, 1, 3, 1, 1, 2, 0, 2), (V{10, 30}));
  // half_pixel 4 -> 1: x = 1.5; pytorch_half_pixel: x = 0.
  const V y = {1, 2, 3, 4};
  EXPECT_EQ(resize(y, 1, 4, 1, 1, 1, 1, 1), (V{2}));
  EXPECT_EQ(resize(y, 1, 4, 1, 1, 1, 2, 1), (V{3}));
  EXPECT_EQ(resize(y, 1, 4, 1, 1, 1, 2, 3), (V{1}));
}

TEST(VecResize, BilinearHandChecked) {
  // half_pixel 2 -> 4: x = -0.25, 0.25, 0.75, 1.25 -> clamped 0, .25, .75, 1.
  EXPECT_EQ(resize({0, 100}, 1, 2, 1, 1, 4, 4, 1), (V{0, 25, 75, 100}));
  // align_corners 2 -> 3: 0.5 weights, ties to even.
  EXPECT_EQ(resize({0, 1}, 1, 2, 1, 1, 3, 4, 2), (V{0, 0, 1}));
  EXPECT_EQ(resize({1, 2}, 1, 2, 1, 1, 3, 4, 2), (V{1, 2, 2}));
  EXPECT_EQ(resize({-3, -4}, 1, 2, 1, 1, 3, 4, 2, true), (V{-3, -4, -4}));
  // 2-D: centre of a 2x2 block with align_corners 2 -> 3.
  EXPECT_EQ(resize({0, 40, 80, 120}, 2, 2, 1, 3, 3, 4, 2),
            (V{0, 20, 40, 40, 60, 80, 80, 100, 120}));
}

// Double-precision ONNX formula; the device's 16-bit fixed point may differ by 1.
TEST(VecResize, BilinearCloseToFloatReference) {
  std::mt19937 rng(77);
  const int64_t ih = 5, iw = 7, c = 3, oh = 9, ow = 4;
  const auto x = random_q(rng, ih * iw * c, true);
  for (int coord = 0; coord < 4; ++coord) {
    const auto got = resize(x, ih, iw, c, oh, ow, 4, coord, true);
    auto src = [&](int64_t o, int64_t in, int64_t out) {
      double v;
      if (coord == 0)
        v = double(o) * in / out;
      else if (coord == 2)
        v = out == 1 ? 0 : double(o) * (in - 1) / (out - 1);
      else if (coord == 3 && out == 1)
        v = 0;
      else
        v = (o + 0.5) * in / out - 0.5;
      return std::clamp(v, 0.0, double(in - 1));
    };
    int exact = 0;
    for (int64_t oy = 0; oy < oh; ++oy)
      for (int64_t ox = 0; ox < ow; ++ox)
        for (int64_t ch = 0; ch < c; ++ch) {
          const double fy = src(oy, ih, oh), fx = src(ox, iw, ow);
          const int64_t y0 = int64_t(fy), x0 = int64_t(fx);
          const int64_t y1 = std::min(y0 + 1, ih - 1), x1 = std::min(x0 + 1, iw - 1);
          const double wy = fy - y0, wx = fx - x0;
          auto at = [&](int64_t y, int64_t xx) { return double(x[(y * iw + xx) * c + ch]); };
          const double v = (1 - wy) * ((1 - wx) * at(y0, x0) + wx * at(y0, x1)) +
                           wy * ((1 - wx) * at(y1, x0) + wx * at(y1, x1));
          const int32_t g = got[(oy * ow + ox) * c + ch];
          EXPECT_LE(std::abs(g - std::nearbyint(v)), 1) << "coord_mode " << coord;
          exact += g == std::nearbyint(v);
        }
    EXPECT_GE(exact, oh * ow * c * 9 / 10) << "coord_mode " << coord;
  }
}

// ---------------------------------------------------------------- accesses, work, dispatch

TEST(Accesses, ConvReadsBiasAndDstWhenEnabled) {
  Instruction in = make(Opcode::kMatConv, {{F::kSrc, 100},
                                           {F::kWgt, 1000},
                                           {F::kBias, 2000},
                                           {F::kDst, 3000},
                                           {F::kInH, 4},
                                           {F::kInW, 5},
                                           {F::kInC, 6},
                                           {F::kOutC, 8},
                                           {F::kKH, 3},
                                           {F::kKW, 3},
                                           {F::kStrideH, 1},
                                           {F::kStrideW, 1},
                                           {F::kDilH, 1},
                                           {F::kDilW, 1},
                                           {F::kGroups, 2},
                                           {F::kBiasEn, 1},
                                           {F::kAccumulate, 1}});
  const Accesses a = accesses(in);
  ASSERT_EQ(a.num_reads, 4);
  ASSERT_EQ(a.num_writes, 1);
  EXPECT_EQ(a.reads[0].begin, 100u);
  EXPECT_EQ(a.reads[0].end, 100u + 4 * 5 * 6);
  EXPECT_EQ(a.reads[1].end, 1000u + 8 * 9 * 3);
  EXPECT_EQ(a.reads[2].end, 2000u + 4 * 8);
  EXPECT_EQ(a.writes[0].begin, 3000u);
  EXPECT_EQ(a.writes[0].end, 3000u + 4 * (2 * 3 * 8));
  EXPECT_EQ(mac_count(in), uint64_t{2 * 3 * 8 * 9 * 3});
  EXPECT_EQ(vector_elements(in), 0u);
  in[F::kBiasEn] = 0;
  in[F::kAccumulate] = 0;
  EXPECT_EQ(accesses(in).num_reads, 2);
}

TEST(Accesses, VectorOps) {
  const Instruction add = make(Opcode::kVecAdd, {{F::kSrc, 10},
                                                 {F::kSrc2, 50},
                                                 {F::kDst, 90},
                                                 {F::kCount, 4},
                                                 {F::kChannels, 6},
                                                 {F::kBcastA, 1},
                                                 {F::kBcastB, 2}});
  Accesses a = accesses(add);
  ASSERT_EQ(a.num_reads, 2);
  EXPECT_EQ(a.reads[0].end, 16u);
  EXPECT_EQ(a.reads[1].end, 54u);
  EXPECT_EQ(a.writes[0].end, 114u);
  EXPECT_EQ(vector_elements(add), 24u);
  EXPECT_EQ(mac_count(add), 0u);

  const Instruction rq = make(Opcode::kVecRequant, {{F::kSrc, 0},
                                                    {F::kDst, 200},
                                                    {F::kCount, 3},
                                                    {F::kChannels, 5},
                                                    {F::kPerChannel, 1},
                                                    {F::kParams, 400}});
  a = accesses(rq);
  ASSERT_EQ(a.num_reads, 2);
  EXPECT_EQ(a.reads[0].end, 60u);
  EXPECT_EQ(a.reads[1].end, 440u);
  EXPECT_EQ(a.writes[0].end, 215u);

  const Instruction cp = copy_instr(7, 100, 2, {3, 2, 2}, {2, 10, 40}, {4, 20, 0});
  a = accesses(cp);
  EXPECT_EQ(a.reads[0].end, 7u + 2 * 2 + 10 + 40 + 2);
  EXPECT_EQ(a.writes[0].end, 100u + 2 * 4 + 20 + 2);
  EXPECT_EQ(vector_elements(cp), 12u);

  const Instruction pool = make(Opcode::kVecPool, {{F::kInH, 6},
                                                   {F::kInW, 6},
                                                   {F::kInC, 3},
                                                   {F::kKH, 2},
                                                   {F::kKW, 2},
                                                   {F::kStrideH, 2},
                                                   {F::kStrideW, 2},
                                                   {F::kDst, 500}});
  EXPECT_EQ(vector_elements(pool), 27u);
  EXPECT_EQ(accesses(pool).writes[0].end, 527u);

  const Instruction fill = make(Opcode::kVecFill, {{F::kDst, 8}, {F::kLen, 0}});
  EXPECT_EQ(accesses(fill).num_writes, 0);  // empty ranges are omitted
}

TEST(Accesses, NonComputeInstructionsAreEmpty) {
  const Instruction dma = make(Opcode::kDmaLoad, {{F::kSram, 64}, {F::kLen0, 100}});
  EXPECT_EQ(accesses(dma).num_reads, 0);
  EXPECT_EQ(accesses(dma).num_writes, 0);
  EXPECT_EQ(mac_count(dma), 0u);
  EXPECT_EQ(vector_elements(dma), 0u);
}

TEST(Execute, RejectsNonComputeOpcodes) {
  Sram m;
  m.alloc(16);
  EXPECT_THROW(m.run(make(Opcode::kDmaLoad, {})), IsaError);
  EXPECT_THROW(m.run(make(Opcode::kEnd, {})), IsaError);
}

}  // namespace
}  // namespace npusim::isa::kernels
