// Building QDQ models for the end-to-end compiler tests (the way our
// quantizer writes them: QuantizeLinear -> DequantizeLinear around every
// activation, per-tensor; weights per output channel), and running a
// compiled model's NPU segment on the simulated device next to the golden
// executor.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "npusim/compiler/compile.hpp"
#include "npusim/compiler/executor.hpp"
#include "npusim/driver/device.hpp"

namespace npusim::testing {

using compiler::DType;
using compiler::Graph;
using compiler::Node;
using compiler::Shape;
using compiler::Tensor;

Tensor scalar_f(float v);
Tensor scalar_i8(int8_t v);
void constant(Graph& g, const std::string& name, Tensor t);
Node node(const std::string& op, std::vector<std::string> in, std::vector<std::string> out);

// A float graph input (NCHW when 4-D) / output of the given shape.
void add_input(Graph& g, const std::string& name, const Shape& shape);
void add_output(Graph& g, const std::string& name, const Shape& shape);

// Adds Q -> DQ of `x` with a per-tensor scale and zero point (int8, or uint8
// with qdq_u8); returns the DQ output.
std::string qdq(Graph& g, const std::string& x, float scale, int8_t zp);
std::string qdq_u8(Graph& g, const std::string& x, float scale, uint8_t zp);
// Per-channel int8 weights [oc][ic][k][k] behind a DequantizeLinear (axis 0).
std::string weights(Graph& g, const std::string& name, int64_t oc, int64_t ic, int64_t k,
                    std::mt19937& rng);
// A quantised constant (int8, per tensor) behind a DequantizeLinear.
std::string quantized_constant(Graph& g, const std::string& name, const Shape& shape, float scale,
                               std::mt19937& rng);

// Round trip through ONNX: the checker and shape inference see the model.
Graph round_trip(const Graph& g, const std::string& name);

// x[1, C, H, W] -> Q/DQ (x_scale, 0) -> Conv3x3(oc, pad 1, weights drawn from
// `seed`) -> Relu -> Q/DQ -> y, round-tripped as `name`.
Graph conv3x3_relu_model(const Shape& x_shape, int64_t oc, float x_scale, uint32_t seed,
                         const std::string& name);

// x[1,8,16,16] -> Q/DQ -> Conv3x3(16, pad 1, bias) -> Relu -> Q/DQ
//              -> Conv1x1(8, stride 2) -> Q/DQ -> y: a small model for end-to-end tests.
Graph two_conv_model();

// A tensor's bytes in device layout: NCHW -> NHWC for rank 4 (any element size), as is otherwise.
std::vector<uint8_t> device_layout(const Tensor& t);
// Uniform floats in [-range, range).
Tensor random_input(const Shape& shape, uint32_t seed, float range = 2.5f);

// One compile -> device run of the program's NPU segment, with the golden
// executor's values of the same tensors (on the lowered graph).
struct NpuCheck {
  compiler::CompileResult compiled;
  std::vector<std::vector<uint8_t>> device, golden;  // per NPU segment output
  uint64_t cycles = 0;
  int npu_nodes = 0;
};
NpuCheck run_npu_segment(driver::Device& device, const isa::HwParams& hw, const Graph& g,
                         const compiler::TensorMap& inputs, isa::Mode target,
                         const std::string& pe);

}  // namespace npusim::testing
