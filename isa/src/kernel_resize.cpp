// vec.resize: nearest and bilinear resizing of HWC 8-bit tensors, with ONNX's
// coordinate transformation modes, in integer arithmetic only. Nearest modes
// round the exact rational source coordinate; bilinear uses it in fixed point
// with 16 fractional bits, rounded toward minus infinity (docs/isa-compute.md).
#include <algorithm>
#include <string>
#include <vector>

#include "kernel_impl.hpp"
#include "npusim/isa/int8.hpp"
#include "op_descriptor.hpp"

namespace npusim::isa::kernels::detail {
namespace {

using F = Field;
constexpr int kFracBits = 16;
constexpr int64_t kOne = int64_t{1} << kFracBits;

int64_t floor_div(int64_t num, int64_t den) {  // den > 0
  const int64_t q = num / den;
  return (num % den != 0 && num < 0) ? q - 1 : q;
}

// Source coordinate of output index o along an axis, as the exact fraction
// num / den (den > 0), per ONNX coordinate_transformation_mode.
struct Coord {
  int64_t num, den;
};

Coord source_coord(int64_t o, int64_t in, int64_t out, int64_t coord_mode) {
  switch (coord_mode) {
    case kCoordAsymmetric:  // o * in / out
      return {o * in, out};
    case kCoordAlignCorners:  // o * (in - 1) / (out - 1), 0 when out == 1
      return out == 1 ? Coord{0, 1} : Coord{o * (in - 1), out - 1};
    case kCoordPytorchHalfPixel:  // half_pixel, but 0 when out == 1
      if (out == 1) return {0, 1};
      [[fallthrough]];
    default:  // kCoordHalfPixel: (o + 0.5) * in / out - 0.5 = ((2o + 1) * in - out) / (2 out)
      return {(2 * o + 1) * in - out, 2 * out};
  }
}

// Nearest source index, rounding the exact coordinate, clamped to [0, in - 1].
int64_t nearest_index(Coord x, int64_t mode, int64_t in) {
  int64_t i;
  switch (mode) {
    case kResizeNearestFloor:
      i = floor_div(x.num, x.den);
      break;
    case kResizeNearestRoundPreferFloor:  // ceil(x - 1/2)
      i = -floor_div(x.den - 2 * x.num, 2 * x.den);
      break;
    case kResizeNearestRoundPreferCeil:  // floor(x + 1/2)
      i = floor_div(2 * x.num + x.den, 2 * x.den);
      break;
    default:  // kResizeNearestCeil
      i = -floor_div(-x.num, x.den);
      break;
  }
  return std::clamp<int64_t>(i, 0, in - 1);
}

// Bilinear taps along one axis: indices i0, i1 and the weight of i1 (of 2^16).
struct Taps {
  int64_t i0, i1, w1;
};

// The coordinate in fixed point is floor(num * 2^16 / den), then clamped to the input.
Taps linear_taps(Coord c, int64_t in) {
  const int64_t x = std::clamp<int64_t>(floor_div(c.num * kOne, c.den), 0, (in - 1) * kOne);
  const int64_t i0 = x >> kFracBits;
  return {i0, std::min(i0 + 1, in - 1), x & (kOne - 1)};
}

struct ResizeOp {
  const uint8_t* src;
  uint8_t* dst;
  int64_t in_h, in_w, c, out_h, out_w;
  bool is_signed;
};

std::vector<Coord> coords(int64_t in, int64_t out, int64_t coord_mode) {
  std::vector<Coord> x(static_cast<size_t>(out));
  for (int64_t o = 0; o < out; ++o) x[o] = source_coord(o, in, out, coord_mode);
  return x;
}

void resize_nearest(const ResizeOp& op, int64_t mode, int64_t coord_mode) {
  const auto ys = coords(op.in_h, op.out_h, coord_mode), xs = coords(op.in_w, op.out_w, coord_mode);
  for (int64_t oy = 0; oy < op.out_h; ++oy) {
    const int64_t iy = nearest_index(ys[oy], mode, op.in_h);
    for (int64_t ox = 0; ox < op.out_w; ++ox) {
      const int64_t ix = nearest_index(xs[ox], mode, op.in_w);
      std::copy_n(op.src + (iy * op.in_w + ix) * op.c, op.c, op.dst + (oy * op.out_w + ox) * op.c);
    }
  }
}

// value = round_half_even(sum of wy * wx * v / 2^32); the zero point cancels
// because the weights sum to 2^32, so raw 8-bit values are interpolated.
void resize_bilinear(const ResizeOp& op, int64_t coord_mode) {
  const auto ys = coords(op.in_h, op.out_h, coord_mode), xs = coords(op.in_w, op.out_w, coord_mode);
  auto px = [&](int64_t y, int64_t x) { return op.src + (y * op.in_w + x) * op.c; };
  for (int64_t oy = 0; oy < op.out_h; ++oy) {
    const Taps ty = linear_taps(ys[oy], op.in_h);
    for (int64_t ox = 0; ox < op.out_w; ++ox) {
      const Taps tx = linear_taps(xs[ox], op.in_w);
      const int64_t w00 = (kOne - ty.w1) * (kOne - tx.w1), w01 = (kOne - ty.w1) * tx.w1;
      const int64_t w10 = ty.w1 * (kOne - tx.w1), w11 = ty.w1 * tx.w1;
      const uint8_t *p00 = px(ty.i0, tx.i0), *p01 = px(ty.i0, tx.i1);
      const uint8_t *p10 = px(ty.i1, tx.i0), *p11 = px(ty.i1, tx.i1);
      uint8_t* out = op.dst + (oy * op.out_w + ox) * op.c;
      for (int64_t i = 0; i < op.c; ++i) {
        const int64_t sum =
            w00 * load_q(p00 + i, op.is_signed) + w01 * load_q(p01 + i, op.is_signed) +
            w10 * load_q(p10 + i, op.is_signed) + w11 * load_q(p11 + i, op.is_signed);
        out[i] = static_cast<uint8_t>(div_round_half_even(sum, kOne * kOne));
      }
    }
  }
}

void exec_resize(const Instruction& in, Bytes sram) {
  const ResizeOp op{sram.data() + in[F::kSrc],
                    sram.data() + in[F::kDst],
                    in[F::kInH],
                    in[F::kInW],
                    in[F::kInC],
                    in[F::kOutH],
                    in[F::kOutW],
                    in[F::kSrcSigned] != 0};
  const int64_t mode = in[F::kMode], coord_mode = in[F::kCoordMode];
  if (mode > kResizeBilinear)
    throw IsaError("vec.resize: invalid mode " + std::to_string(mode) +
                   " (0-3 nearest floor/round_prefer_floor/round_prefer_ceil/ceil, 4 bilinear)");
  if (op.out_h * op.out_w * op.c == 0) return;
  if (op.in_h == 0 || op.in_w == 0)
    throw IsaError("vec.resize: empty input (in_h/in_w 0) with a non-empty output");
  if (mode == kResizeBilinear)
    resize_bilinear(op, coord_mode);
  else
    resize_nearest(op, mode, coord_mode);
}

// --- what the verifier, the access ranges and the cost model know of it ---

using verify_detail::at_least_1;
using verify_detail::Issue;

// A bilinear output element interpolates 4 input elements.
constexpr uint64_t kBilinearTaps = 4;

void resize_rules(const Instruction& in, std::vector<Issue>& out) {
  at_least_1(in, {F::kInH, F::kInW, F::kInC, F::kOutH, F::kOutW}, out);
  if (in[F::kMode] > kResizeBilinear)
    out.push_back({F::kMode, "resize mode must be <= " + std::to_string(kResizeBilinear) +
                                 ", got " + std::to_string(in[F::kMode])});
}

void resize_accesses(const Instruction& in, ops::AccessBuilder& b) {
  b.read(in[F::kSrc], in.u(F::kInH) * in.u(F::kInW) * in.u(F::kInC));
  b.write(in[F::kDst], in.u(F::kOutH) * in.u(F::kOutW) * in.u(F::kInC));
}

uint64_t resize_elements(const Instruction& in) {
  return in.u(F::kOutH) * in.u(F::kOutW) * in.u(F::kInC);
}

uint64_t resize_lane_work(const Instruction& in, uint64_t elements) {
  return in[F::kMode] == kResizeBilinear ? kBilinearTaps * elements : elements;
}

}  // namespace

}  // namespace npusim::isa::kernels::detail

namespace npusim::isa::ops {

using namespace kernels::detail;

constinit const OpDescriptor kVecResizeOp{.opcode = Opcode::kVecResize,
                                          .unit = Unit::kVector,
                                          .shape = resize_rules,
                                          .accesses = resize_accesses,
                                          .execute = exec_resize,
                                          .elements = resize_elements,
                                          .lane_work = resize_lane_work};

}  // namespace npusim::isa::ops

namespace npusim::isa::kernels {

int64_t resize_nearest_source(int64_t o, int64_t in, int64_t out, int64_t mode,
                              int64_t coord_mode) {
  return detail::nearest_index(detail::source_coord(o, in, out, coord_mode), mode, in);
}

}  // namespace npusim::isa::kernels
