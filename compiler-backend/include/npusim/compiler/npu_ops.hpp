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
//         A 2-D x [M, K] with weights [N, K, 1, 1] is a Gemm/MatMul: y [M, N].
//         int32_out = 1 (ConvInteger, MatMulInteger): y is int32, the wrapped sum itself
//         (no bias, requantisation or clamp; mult and shift are not needed).
// QAdd    inputs a, b (same 8-bit type; numpy broadcasting)
//         attrs  a_zp, b_zp, y_zp, y_signed, mult_a/shift_a, mult_b/shift_b, mult/shift,
//                act_lo, act_hi
//         y = clamp(y_zp + requantize(requantize((a-a_zp)*2^20, mult_a, shift_a)
//                   + requantize((b-b_zp)*2^20, mult_b, shift_b), mult, shift), act_lo, act_hi)
// QMul    as QAdd without mult_a/b:  y = clamp(y_zp + requantize((a-a_zp)(b-b_zp), mult, shift))
// QLut    input x; attrs table[256] (indexed by x's byte, int8 codes as uint8), y_signed
//         y = table[(uint8) x]   (activations, requantisation: computed at compile time)
//         With table_shape (broadcasts to x's shape; a PRelu's slope shape), table holds
//         256 entries per element of table_shape and each element of x uses its own.
// QPool   input x (NCHW); attrs mode (0 max, 1 average), kernel_shape, strides, pads (t,l,b,r),
//                count_pad, x_zp, y_zp, mult/shift (average), table[256] + y_signed (max, optional)
//         max: y = table[max of the valid taps (qmin if none)]; average: y has x's type,
//         y = sat(y_zp + requantize_div(sum (x-x_zp), mult, shift, count), type range)
// QConcat inputs x0..xn-1; attrs axis, tables[256*n] (input k through table k), y_signed
// QSplit  input x; outputs y0..yn-1; attrs axis, split[n] (sizes), tables[256*n] (output k
//                through table k), y_zps[n], y_signs[n] (1: int8)
// QResize input x (NCHW); attrs out_hw, mode (0-3: nearest floor, round_prefer_floor,
//                round_prefer_ceil, ceil; 4: bilinear), coord_mode (0 asymmetric,
//                1 half_pixel, 2 align_corners, 3 pytorch_half_pixel), table[256] + y_signed
//         nearest neighbour from the exact rational source coordinate, or bilinear on raw
//         codes in 16-bit fixed point rounded half to even, as vec.resize
// QPermute input x; attrs perm (a permutation of x's axes), out_shape, table[256] + y_signed
//                (optional), starts/steps/counts (optional, per axis, steps > 0):
//         y = reshape(transpose(slice(x), perm), out_shape), through the table
//         (Slice, Transpose, Reshape, Flatten, Squeeze, Unsqueeze: pure data movement)
// QPad    input x; attrs pads (begin per axis, then end; >= 0), pad_code, table[256] + y_signed
//                (optional), interior (optional, per axis: pad elements between neighbours):
//         y = constant padding of x (through the table) with pad_code
#pragma once

#include <cstdint>
#include <string>

namespace npusim::compiler {

inline constexpr const char* kNpuDomain = "npusim";
// The version an exported graph's opset_import gives the npusim domain.
inline constexpr int64_t kNpuOpsetVersion = 1;

// Quantisation of a tensor: real = scale * (q - zero_point).
struct QuantParams {
  float scale = 1.0f;
  int32_t zero_point = 0;
  bool is_signed = true;
};

}  // namespace npusim::compiler
