// The quantised operations the NPU executes, as nodes of domain "npusim" in
// the graph IR. lower_quantized() produces them from QDQ / QLinear* ONNX
// forms; the reference executor runs them with the device's integer
// arithmetic (isa/int8.hpp), bit for bit; code generation maps them to
// instructions. Logical layouts stay ONNX's (NCHW); the device stores NHWC.
//
// QConv   inputs x (int8/uint8 NCHW), w (int8/uint8 const, OIHW), b (int32 const, optional)
//         attrs  strides, pads (t,l,b,r), dilations, group,
//                x_zp, w_zp, y_zp, x_signed, w_signed, y_signed,
//                mult[OC], shift[OC] (fixed-point x_scale*w_scale[oc]/y_scale),
//                act_lo, act_hi (clamp in the output's integer domain: fused ReLU/ReLU6)
//         y = clamp(y_zp + requantize(sum (x-x_zp)(w-w_zp) + b, mult, shift), act_lo, act_hi)
#pragma once

#include <string>

namespace npusim::compiler {

inline constexpr const char* kNpuDomain = "npusim";

// Quantisation of a tensor: real = scale * (q - zero_point).
struct QuantParams {
  float scale = 1.0f;
  int32_t zero_point = 0;
  bool is_signed = true;
};

}  // namespace npusim::compiler
