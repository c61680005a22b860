// Internal: shapes derived from compute-instruction fields, shared by the
// access-range computation and the kernels so the two can never disagree.
#pragma once

#include <cstdint>

#include "npusim/isa/instruction.hpp"
#include "npusim/isa/kernels.hpp"

namespace npusim::isa::kernels::detail {

struct ConvShape {
  int64_t in_h, in_w, in_c, out_c, k_h, k_w;
  int64_t stride_h, stride_w, dil_h, dil_w, pad_t, pad_l, pad_b, pad_r;
  int64_t groups;  // >= 1 (a zero field is clamped here only to avoid dividing by zero)
  int64_t out_h, out_w;
  int64_t in_cg() const { return in_c / groups; }    // input channels per group
  int64_t out_cg() const { return out_c / groups; }  // output channels per group
  uint64_t weight_elems() const { return uint64_t(out_c * k_h * k_w * in_cg()); }
};

inline int64_t at_least_1(int64_t v) {
  return v < 1 ? 1 : v;
}

inline ConvShape conv_shape(const Instruction& in) {
  using F = Field;
  ConvShape s{in[F::kInH],
              in[F::kInW],
              in[F::kInC],
              in[F::kOutC],
              in[F::kKH],
              in[F::kKW],
              in[F::kStrideH],
              in[F::kStrideW],
              in[F::kDilH],
              in[F::kDilW],
              in[F::kPadT],
              in[F::kPadL],
              in[F::kPadB],
              in[F::kPadR],
              at_least_1(in[F::kGroups]),
              0,
              0};
  s.out_h = conv_out_size(s.in_h, s.pad_t, s.pad_b, s.k_h, s.stride_h, s.dil_h);
  s.out_w = conv_out_size(s.in_w, s.pad_l, s.pad_r, s.k_w, s.stride_w, s.dil_w);
  return s;
}

// Pooling window: like a convolution with dilation 1 that keeps the channel count.
struct PoolShape {
  int64_t in_h, in_w, in_c, k_h, k_w, stride_h, stride_w, pad_t, pad_l, pad_b, pad_r;
  int64_t out_h, out_w;
};

inline PoolShape pool_shape(const Instruction& in) {
  using F = Field;
  PoolShape s{in[F::kInH],
              in[F::kInW],
              in[F::kInC],
              in[F::kKH],
              in[F::kKW],
              in[F::kStrideH],
              in[F::kStrideW],
              in[F::kPadT],
              in[F::kPadL],
              in[F::kPadB],
              in[F::kPadR],
              0,
              0};
  s.out_h = conv_out_size(s.in_h, s.pad_t, s.pad_b, s.k_h, s.stride_h, 1);
  s.out_w = conv_out_size(s.in_w, s.pad_l, s.pad_r, s.k_w, s.stride_w, 1);
  return s;
}

// Number of elements an elementwise input holds under broadcast mode `mode`
// for count x channels outputs (the kBcast* constants of kernels.hpp).
inline uint64_t bcast_elems(int64_t mode, uint64_t count, uint64_t channels) {
  switch (mode) {
    case kBcastFull:
      return count * channels;
    case kBcastPerChannel:
      return channels;
    case kBcastPerRow:
      return count;
    default:  // kBcastScalar
      return 1;
  }
}

}  // namespace npusim::isa::kernels::detail
