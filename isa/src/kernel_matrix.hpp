// Internal: a resolved matrix-unit instruction, shared by the GEMM-based
// convolution (kernel_matrix.cpp) and the depthwise loop (kernel_depthwise.cpp).
#pragma once

#include <cstdint>

#include "kernel_shapes.hpp"

namespace npusim::isa::kernels::detail {

// Operands and quantisation of one matrix instruction, resolved to pointers.
struct MatrixOp {
  ConvShape s;
  const uint8_t* src;
  const uint8_t* wgt;
  uint8_t* dst;  // int32 [out_h][out_w][out_c], already holding bias (+ old dst)
  bool src_signed, wgt_signed;
  int32_t src_zp, wgt_zp;
};

// The input pixel a kernel tap reads, or false if it lies in the padding.
inline bool tap_pixel(const ConvShape& s, int64_t oy, int64_t ox, int64_t kh, int64_t kw,
                      int64_t& iy, int64_t& ix) {
  iy = oy * s.stride_h - s.pad_t + kh * s.dil_h;
  ix = ox * s.stride_w - s.pad_l + kw * s.dil_w;
  return iy >= 0 && iy < s.in_h && ix >= 0 && ix < s.in_w;
}

// One input channel per group (depthwise, possibly with a channel multiplier):
// dst += the convolution. Requires zero points for which x - zp fits int16.
void conv_depthwise(const MatrixOp& op);

}  // namespace npusim::isa::kernels::detail
