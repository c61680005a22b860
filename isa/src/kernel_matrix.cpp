// Matrix-unit kernels: mat.conv and mat.mm (a 1x1 convolution of an [m][1][k]
// image). Where the CPU has AVX-512 VNNI, the common path is an 8-bit GEMM on
// the raw bytes (gemm_vnni.hpp), with im2col rows in chunks that fit L2, or
// the source itself as A for a 1x1 stride-1 convolution; elsewhere im2col
// into int16 (x - zp) rows and the exact int16 GEMM. Depthwise-style
// convolutions (one input channel per group) use a direct loop, since a GEMM
// with n = 1 wastes the vector width; zero points outside the int16-safe
// range use a plain loop.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "gemm_int8.hpp"
#include "gemm_vnni.hpp"
#include "kernel_impl.hpp"
#include "kernel_matrix.hpp"
#include "kernel_shapes.hpp"
#include "op_descriptor.hpp"

namespace npusim::isa::kernels::detail {
namespace {

using F = Field;

int64_t out_pixels(const ConvShape& s) {
  return s.out_h * s.out_w;
}

// The per-channel initial value of the accumulator: bias, or 0. Unsigned so
// that adds wrap without UB.
std::vector<uint32_t> bias_row(const Instruction& in, Bytes sram, int64_t cols) {
  std::vector<uint32_t> bias(static_cast<size_t>(cols), 0);
  if (in[F::kBiasEn]) std::memcpy(bias.data(), sram.data() + in[F::kBias], 4 * cols);
  return bias;
}

// dst = (accumulate ? dst : 0) + bias; the kernels then add the products.
void init_output(const MatrixOp& op, const std::vector<uint32_t>& bias, bool accumulate) {
  const int64_t rows = out_pixels(op.s), cols = op.s.out_c;
  for (int64_t r = 0; r < rows; ++r) {
    uint8_t* row = op.dst + r * cols * 4;
    if (!accumulate) {
      std::memcpy(row, bias.data(), 4 * cols);
      continue;
    }
    for (int64_t c = 0; c < cols; ++c) {
      uint32_t v;
      std::memcpy(&v, row + 4 * c, 4);
      v += bias[c];
      std::memcpy(row + 4 * c, &v, 4);
    }
  }
}

// One im2col row (output pixel r, group g): k index = (kh * k_w + kw) * in_cg + ic,
// the weight layout's order. Padding contributes 0 (= x at the zero point).
void im2col_row(const MatrixOp& op, int64_t r, int64_t g, int64_t kp, int16_t* row) {
  const ConvShape& s = op.s;
  const int64_t cg = s.in_cg(), oy = r / s.out_w, ox = r % s.out_w;
  int16_t* out = row;
  for (int64_t kh = 0; kh < s.k_h; ++kh) {
    for (int64_t kw = 0; kw < s.k_w; ++kw, out += cg) {
      int64_t iy, ix;
      if (tap_pixel(s, oy, ox, kh, kw, iy, ix))
        gemm::widen_row(op.src + (iy * s.in_w + ix) * s.in_c + g * cg, cg, op.src_signed, op.src_zp,
                        out);
      else
        std::fill(out, out + cg, int16_t{0});
    }
  }
  std::fill(out, row + kp, int16_t{0});  // odd-k tail
}

// Rows per im2col chunk: one kKc slice of the chunk (rows x kKc int16) fits
// in about half of a 512 KiB L2, next to the B panel; at most ~1000 rows so
// the buffer stays small when k is tiny.
int64_t chunk_rows(int64_t kp) {
  const int64_t slice = std::max<int64_t>(std::min<int64_t>(kp, gemm::kKc), 1);
  const int64_t rows = (256 * 1024) / (2 * slice);
  return std::clamp<int64_t>(rows / gemm::kMr * gemm::kMr, gemm::kMr, 166 * gemm::kMr);
}

// init: the bias row to start from, or null to add into dst as it is.
void conv_gemm(const MatrixOp& op, const uint32_t* init) {
  const ConvShape& s = op.s;
  const int64_t k = s.k_h * s.k_w * s.in_cg(), kp = gemm::padded_k(k), m = out_pixels(s);
  const int64_t mc = chunk_rows(kp);
  thread_local std::vector<int16_t> a;  // reused: the simulator calls this per instruction
  thread_local gemm::PackedB b;
  a.resize(static_cast<size_t>(std::min(mc, m) * kp));
  for (int64_t g = 0; g < s.groups; ++g) {
    gemm::pack_b(op.wgt + g * s.out_cg() * k, s.out_cg(), k, k, op.wgt_signed, op.wgt_zp, b);
    for (int64_t m0 = 0; m0 < m; m0 += mc) {
      const int64_t rows = std::min(mc, m - m0);
      for (int64_t r = 0; r < rows; ++r) im2col_row(op, m0 + r, g, kp, a.data() + r * kp);
      gemm::gemm_s16(a.data(), rows, kp, b, op.dst + (m0 * s.out_c + g * s.out_cg()) * 4, s.out_c,
                     gemm::Path::kAuto, init ? init + g * s.out_cg() : nullptr);
    }
  }
}

// One im2col row of raw bytes for the VNNI GEMM: like im2col_row, with the
// padding and the k tail holding the zero point (x - zp = 0 there).
void im2col_row8(const MatrixOp& op, int64_t r, int64_t g, int64_t k, int64_t kp, uint8_t* row) {
  const ConvShape& s = op.s;
  const int64_t cg = s.in_cg(), oy = r / s.out_w, ox = r % s.out_w;
  const auto pad = static_cast<uint8_t>(op.src_zp);
  uint8_t* out = row;
  for (int64_t kh = 0; kh < s.k_h; ++kh)
    for (int64_t kw = 0; kw < s.k_w; ++kw, out += cg) {
      int64_t iy, ix;
      if (tap_pixel(s, oy, ox, kh, kw, iy, ix))
        std::memcpy(out, op.src + (iy * s.in_w + ix) * s.in_c + g * cg, cg);
      else
        std::memset(out, pad, cg);
    }
  std::memset(row + k, pad, kp - k);
}

// A 1x1 convolution with stride 1 and no padding reads each output pixel's
// input channels contiguously: the source is A as it is (when k fills whole
// groups of four bytes).
bool source_is_a(const ConvShape& s) {
  return s.k_h == 1 && s.k_w == 1 && s.stride_h == 1 && s.stride_w == 1 && s.pad_t == 0 &&
         s.pad_l == 0 && s.out_h == s.in_h && s.out_w == s.in_w && s.in_cg() % 4 == 0;
}

// init: the bias row to start from, or null to add into dst as it is.
void conv_vnni(const MatrixOp& op, const uint32_t* init) {
  const ConvShape& s = op.s;
  const int64_t k = s.k_h * s.k_w * s.in_cg(), kp = gemm::padded_k4(k), m = out_pixels(s);
  const int64_t mc =
      std::clamp<int64_t>((256 * 1024) / std::max<int64_t>(kp, 1) / gemm::kVnniMr * gemm::kVnniMr,
                          gemm::kVnniMr, 512 * gemm::kVnniMr);
  const bool direct = source_is_a(s);
  thread_local std::vector<uint8_t> a;  // reused: the simulator calls this per instruction
  thread_local std::vector<uint32_t> rows;
  thread_local gemm::PackedB8 b;
  if (!direct) a.resize(static_cast<size_t>(std::min(mc, m) * kp));
  rows.resize(static_cast<size_t>(std::min(mc, m)));
  for (int64_t g = 0; g < s.groups; ++g) {
    gemm::pack_b8(op.wgt + g * s.out_cg() * k, s.out_cg(), k, k, op.wgt_signed, op.wgt_zp,
                  op.src_signed, op.src_zp, b);
    for (int64_t m0 = 0; m0 < m; m0 += mc) {
      const int64_t n_rows = std::min(mc, m - m0);
      const uint8_t* a_rows = direct ? op.src + m0 * s.in_c + g * s.in_cg() : a.data();
      const int64_t lda = direct ? s.in_c : kp;
      if (!direct)
        for (int64_t r = 0; r < n_rows; ++r) im2col_row8(op, m0 + r, g, k, kp, a.data() + r * kp);
      gemm::row_terms(a_rows, n_rows, lda, b, rows.data());
      gemm::gemm_u8s8(a_rows, n_rows, lda, b, rows.data(),
                      op.dst + (m0 * s.out_c + g * s.out_cg()) * 4, s.out_c,
                      init ? init + g * s.out_cg() : nullptr);
    }
  }
}

// The definition, term by term, for zero points whose (x - zp) exceeds int16.
void conv_direct(const MatrixOp& op) {
  const ConvShape& s = op.s;
  const int64_t cg = s.in_cg(), ocg = s.out_cg();
  for (int64_t oy = 0; oy < s.out_h; ++oy)
    for (int64_t ox = 0; ox < s.out_w; ++ox)
      for (int64_t o = 0; o < s.out_c; ++o) {
        const int64_t g = o / ocg;
        int64_t sum = 0;  // terms below 2^31 in size, under 2^32 of them: exact
        for (int64_t kh = 0; kh < s.k_h; ++kh)
          for (int64_t kw = 0; kw < s.k_w; ++kw) {
            int64_t iy, ix;
            if (!tap_pixel(s, oy, ox, kh, kw, iy, ix)) continue;
            const uint8_t* px = op.src + (iy * s.in_w + ix) * s.in_c + g * cg;
            const uint8_t* wt = op.wgt + ((o * s.k_h + kh) * s.k_w + kw) * cg;
            for (int64_t c = 0; c < cg; ++c)
              sum += int64_t{load_q(px + c, op.src_signed) - op.src_zp} *
                     (load_q(wt + c, op.wgt_signed) - op.wgt_zp);
          }
        uint8_t* out = op.dst + ((oy * s.out_w + ox) * s.out_c + o) * 4;
        store_i32(out, wrap_add(load_i32(out), sum));
      }
}

void run(const Instruction& in, Bytes sram, const ConvShape& s) {
  if (s.in_c % s.groups != 0 || s.out_c % s.groups != 0)
    throw IsaError("mat.conv: in_c " + std::to_string(s.in_c) + " and out_c " +
                   std::to_string(s.out_c) + " must be divisible by groups " +
                   std::to_string(s.groups));
  const MatrixOp op{s,
                    sram.data() + in[F::kSrc],
                    sram.data() + in[F::kWgt],
                    sram.data() + in[F::kDst],
                    in[F::kSrcSigned] != 0,
                    in[F::kWgtSigned] != 0,
                    static_cast<int32_t>(in[F::kSrcZp]),
                    static_cast<int32_t>(in[F::kWgtZp])};
  if (out_pixels(s) * s.out_c == 0) return;
  const std::vector<uint32_t> bias = bias_row(in, sram, s.out_c);
  const bool accumulate = in[F::kAccumulate] != 0;
  const bool exact16 = gemm::zero_point_fits_int16(op.src_signed, op.src_zp) &&
                       gemm::zero_point_fits_int16(op.wgt_signed, op.wgt_zp);
  if (exact16 && !(s.in_cg() == 1 && s.groups > 1)) {
    if (accumulate) init_output(op, bias, true);
    const uint32_t* init = accumulate ? nullptr : bias.data();  // fresh dst: GEMM writes bias + acc
    if (gemm::vnni_available() && gemm::vnni_applies(op.src_signed, op.src_zp))
      return conv_vnni(op, init);
    return conv_gemm(op, init);
  }
  init_output(op, bias, accumulate);
  if (exact16)
    conv_depthwise(op);
  else
    conv_direct(op);
}

void exec_conv(const Instruction& in, Bytes sram) {
  run(in, sram, conv_shape(in));
}

void exec_matmul(const Instruction& in, Bytes sram) {
  // [m][k] x [n][k] is a 1x1 convolution of an m x 1 image with k channels.
  ConvShape s{in[F::kM], 1, in[F::kK], in[F::kN], 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 0, 0};
  s.out_h = s.in_h;
  s.out_w = 1;
  run(in, sram, s);
}

// --- what the verifier, the access ranges and the cost model know of them ---

using verify_detail::at_least_1;
using verify_detail::Issue;

// The matrix unit accumulates in int32: 4 bytes per output element and bias.
constexpr uint64_t kAccBytes = 4;

void conv_rules(const Instruction& in, std::vector<Issue>& out) {
  at_least_1(in,
             {F::kInH, F::kInW, F::kInC, F::kOutC, F::kKH, F::kKW, F::kStrideH, F::kStrideW,
              F::kDilH, F::kDilW},
             out);
  if (!out.empty()) return;
  // groups = 0 means 1 (docs/isa-compute.md), so a zero-initialised field is valid.
  const int64_t g = std::max<int64_t>(in[F::kGroups], 1);
  for (F c : {F::kInC, F::kOutC})
    if (in[c] % g)
      out.push_back({F::kGroups, "groups=" + std::to_string(g) + " does not divide " +
                                     std::string(field_name(c)) + "=" + std::to_string(in[c])});
  const ConvShape s = conv_shape(in);
  if (s.out_h < 1)
    out.push_back({F::kKH, "output height is " + std::to_string(s.out_h) +
                               " (window larger than the padded input)"});
  if (s.out_w < 1)
    out.push_back({F::kKW, "output width is " + std::to_string(s.out_w) +
                               " (window larger than the padded input)"});
}

void mm_rules(const Instruction& in, std::vector<Issue>& out) {
  at_least_1(in, {F::kM, F::kK, F::kN}, out);
}

void conv_accesses(const Instruction& in, ops::AccessBuilder& b) {
  const ConvShape s = conv_shape(in);
  const uint64_t out_bytes = kAccBytes * uint64_t(s.out_h * s.out_w * s.out_c);
  b.read(in[F::kSrc], uint64_t(s.in_h * s.in_w * s.in_c));
  b.read(in[F::kWgt], s.weight_elems());
  if (in[F::kBiasEn]) b.read(in[F::kBias], kAccBytes * uint64_t(s.out_c));
  if (in[F::kAccumulate]) b.read(in[F::kDst], out_bytes);
  b.write(in[F::kDst], out_bytes);
}

void mm_accesses(const Instruction& in, ops::AccessBuilder& b) {
  const uint64_t m = in.u(F::kM), k = in.u(F::kK), n = in.u(F::kN);
  b.read(in[F::kSrc], m * k);
  b.read(in[F::kWgt], n * k);
  if (in[F::kBiasEn]) b.read(in[F::kBias], kAccBytes * n);
  if (in[F::kAccumulate]) b.read(in[F::kDst], kAccBytes * m * n);
  b.write(in[F::kDst], kAccBytes * m * n);
}

uint64_t conv_macs(const Instruction& in) {
  const ConvShape s = conv_shape(in);
  return uint64_t(s.out_h * s.out_w) * s.weight_elems();
}

uint64_t mm_macs(const Instruction& in) {
  return in.u(F::kM) * in.u(F::kN) * in.u(F::kK);
}

// `groups` products, each of in_c / groups x k_h x k_w into out_c / groups.
ops::MatrixJob conv_job(const Instruction& in) {
  const uint64_t g = std::max<uint64_t>(1, in.u(F::kGroups));
  const int64_t oh = conv_out_size(in[F::kInH], in[F::kPadT], in[F::kPadB], in[F::kKH],
                                   in[F::kStrideH], in[F::kDilH]);
  const int64_t ow = conv_out_size(in[F::kInW], in[F::kPadL], in[F::kPadR], in[F::kKW],
                                   in[F::kStrideW], in[F::kDilW]);
  return {g, in.u(F::kInC) / g * in.u(F::kKH) * in.u(F::kKW), in.u(F::kOutC) / g,
          static_cast<uint64_t>(std::max<int64_t>(0, oh) * std::max<int64_t>(0, ow))};
}

ops::MatrixJob mm_job(const Instruction& in) {
  return {1, in.u(F::kK), in.u(F::kN), in.u(F::kM)};
}

}  // namespace

}  // namespace npusim::isa::kernels::detail

namespace npusim::isa::ops {

using namespace kernels::detail;

constinit const OpDescriptor kMatConvOp{.opcode = Opcode::kMatConv,
                                        .unit = Unit::kMatrix,
                                        .shape = conv_rules,
                                        .accesses = conv_accesses,
                                        .execute = exec_conv,
                                        .macs = conv_macs,
                                        .matrix_job = conv_job};

constinit const OpDescriptor kMatMulOp{.opcode = Opcode::kMatMul,
                                       .unit = Unit::kMatrix,
                                       .shape = mm_rules,
                                       .accesses = mm_accesses,
                                       .execute = exec_matmul,
                                       .macs = mm_macs,
                                       .matrix_job = mm_job};

}  // namespace npusim::isa::ops
