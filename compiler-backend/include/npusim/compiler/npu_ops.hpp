// The quantised operations the NPU executes, as nodes of domain "npusim" in
// the graph IR. lower_quantized() produces them from QDQ / QLinear* ONNX
// forms; the reference executor runs them with the device's integer
// arithmetic (isa/int8.hpp), bit for bit; code generation maps them to
// instructions. Logical layouts stay ONNX's (NCHW); the device stores NHWC.
//
// The ops and their inputs (each op's attributes struct and golden function
// are in its op file, src/npu_ops/<name>.hpp; docs/compiler.md "Adding an
// NPU op"):
// QConv    x (int8/uint8 NCHW, or 2-D [M, K] for a Gemm), w (const OIHW), b (int32 const, optional)
// QAdd     a, b (same 8-bit type; numpy broadcasting)
// QMul     a, b (same 8-bit type; numpy broadcasting)
// QLut     x
// QPool    x (NCHW)
// QConcat  x0..xn-1
// QSplit   x; outputs y0..yn-1
// QResize  x (NCHW)
// QPermute x
// QPad     x
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
