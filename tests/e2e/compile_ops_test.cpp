// Compile -> simulate for every NPU op family beyond the convolution: QDQ
// models of each family run on the simulated device (single PE, fused, and
// with an SRAM small enough to force row tiling) and their NPU segment's
// outputs equal the golden executor's bit for bit.
#include <gtest/gtest.h>

#include <functional>
#include <random>
#include <set>

#include "common/device_fixture.hpp"
#include "model_builder.hpp"

namespace npusim::testing {
namespace {

using Ints = std::vector<int64_t>;

// Adds node `n`, then Q/DQ of its output; returns the DQ output.
std::string op_qdq(Graph& g, Node n, float scale, int8_t zp) {
  const std::string out = n.outputs[0];
  g.nodes.push_back(std::move(n));
  return qdq(g, out, scale, zp);
}
std::string op_qdq_u8(Graph& g, Node n, float scale, uint8_t zp) {
  const std::string out = n.outputs[0];
  g.nodes.push_back(std::move(n));
  return qdq_u8(g, out, scale, zp);
}

Node with(Node n, const std::string& attr, compiler::Attribute v) {
  n.attrs[attr] = std::move(v);
  return n;
}

// relu(x1 + x2) -> + c[1,16,1,1] -> + k[1,16,1,1] -> * x3[1,1,12,12] -> - x3:
// full, per-channel (an input, then a constant) and per-pixel broadcasting,
// fused Relu; uint8 up to the first per-channel add.
Graph add_model() {
  std::mt19937 rng(1);
  Graph g;
  g.opset = 13;
  add_input(g, "x1", {1, 16, 12, 12});
  add_input(g, "x2", {1, 16, 12, 12});
  add_input(g, "x3", {1, 1, 12, 12});
  add_input(g, "c", {1, 16, 1, 1});
  const std::string x1 = qdq_u8(g, "x1", 0.04f, 130), x2 = qdq_u8(g, "x2", 0.03f, 123);
  const std::string x3 = qdq(g, "x3", 0.02f, 0);
  g.nodes.push_back(node("Add", {x1, x2}, {"sum"}));
  const std::string s1 = op_qdq_u8(g, node("Relu", {"sum"}, {"s1"}), 0.03f, 0);
  const std::string c = qdq_u8(g, "c", 0.01f, 128);
  const std::string s2 = op_qdq(g, node("Add", {s1, c}, {"s2"}), 0.035f, -100);
  const std::string k = quantized_constant(g, "k", {1, 16, 1, 1}, 0.01f, rng);
  const std::string s3 = op_qdq(g, node("Add", {s2, k}, {"s3"}), 0.035f, -90);
  const std::string s4 = op_qdq(g, node("Mul", {s3, x3}, {"s4"}), 0.05f, 3);
  const std::string s5 = op_qdq(g, node("Sub", {s4, x3}, {"s5"}), 0.05f, -4);
  g.nodes.push_back(node("Identity", {s5}, {"y"}));
  add_output(g, "y", {1, 16, 12, 12});
  return round_trip(g, "add_model");
}

// [Conv ->] Sigmoid -> HardSwish -> SiLU (x * Sigmoid(x)) -> LeakyRelu -> Clip
// -> HardSigmoid -> Tanh, each between Q/DQ: one table each.
Graph lut_model(bool conv) {
  std::mt19937 rng(2);
  Graph g;
  g.opset = 14;  // HardSwish
  add_input(g, "x", {1, 8, 24, 24});
  std::string v = qdq(g, "x", 0.03f, 4);
  if (conv) {
    const std::string w = weights(g, "w", 8, 8, 3, rng);
    v = op_qdq(g, with(node("Conv", {v, w}, {"c"}), "pads", Ints{1, 1, 1, 1}), 0.04f, 0);
  }
  v = op_qdq_u8(g, node("Sigmoid", {v}, {"sig"}), 1.0f / 256, 0);
  v = op_qdq(g, node("HardSwish", {v}, {"hsw"}), 0.01f, -20);
  g.nodes.push_back(node("Sigmoid", {v}, {"silu_sig"}));
  v = op_qdq(g, node("Mul", {v, "silu_sig"}, {"silu"}), 0.005f, -10);
  v = op_qdq(g, with(node("LeakyRelu", {v}, {"lrelu"}), "alpha", 0.1f), 0.004f, 0);
  constant(g, "lo", scalar_f(-0.2f));
  constant(g, "hi", scalar_f(0.3f));
  v = op_qdq(g, node("Clip", {v, "lo", "hi"}, {"clip"}), 0.003f, 5);
  v = op_qdq(g, with(node("HardSigmoid", {v}, {"hsig"}), "alpha", 0.5f), 0.004f, -128);
  v = op_qdq(g, node("Tanh", {v}, {"tanh"}), 1.0f / 256, -128);
  g.nodes.push_back(node("Identity", {v}, {"y"}));
  add_output(g, "y", {1, 8, 24, 24});
  return round_trip(g, "lut_model");
}

// From x: MaxPool k3 s2 p1 (same quantisation), MaxPool k5 s1 p2 (SPPF,
// requantised), MaxPool k2 s2 ceil_mode -> AveragePool k3 s1 p1 ->
// AveragePool k2 s2 count_include_pad, and GlobalAveragePool; four outputs.
Graph pool_model() {
  Graph g;
  g.opset = 13;
  add_input(g, "x", {1, 8, 29, 29});
  const std::string x = qdq(g, "x", 0.03f, 1);
  auto pool = [&](const std::string& op, const std::string& in, const std::string& out,
                  std::map<std::string, compiler::Attribute> attrs, float scale, int8_t zp) {
    Node n = node(op, {in}, {out});
    n.attrs = std::move(attrs);
    return op_qdq(g, n, scale, zp);
  };
  const std::string m1 =
      pool("MaxPool", x, "m1",
           {{"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}},
           0.03f, 1);
  Node m2 = node("MaxPool", {x}, {"m2"});  // requantised to uint8
  m2.attrs = {{"kernel_shape", Ints{5, 5}}, {"pads", Ints{2, 2, 2, 2}}};
  const std::string m2q = op_qdq_u8(g, m2, 0.025f, 100);
  const std::string m3 = pool(
      "MaxPool", x, "m3",
      {{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}, {"ceil_mode", int64_t(1)}}, 0.03f, 1);
  const std::string a1 =
      pool("AveragePool", m3, "a1", {{"kernel_shape", Ints{3, 3}}, {"pads", Ints{1, 1, 1, 1}}},
           0.01f, -100);
  const std::string a2 = pool("AveragePool", a1, "a2",
                              {{"kernel_shape", Ints{2, 2}},
                               {"strides", Ints{2, 2}},
                               {"pads", Ints{0, 0, 1, 1}},
                               {"count_include_pad", int64_t(1)}},
                              0.01f, -100);
  const std::string gap = pool("GlobalAveragePool", a1, "gap", {}, 0.01f, -128);
  const std::vector<std::pair<std::string, Shape>> outs = {
      {m1, {1, 8, 15, 15}}, {m2q, {1, 8, 29, 29}}, {a2, {1, 8, 8, 8}}, {gap, {1, 8, 1, 1}}};
  for (size_t k = 0; k < outs.size(); ++k) {
    const std::string y = "y" + std::to_string(k);
    g.nodes.push_back(node("Identity", {outs[k].first}, {y}));
    add_output(g, y, outs[k].second);
  }
  return round_trip(g, "pool_model");
}

// A YOLOv8 neck step: Resize x2 (nearest, asymmetric, floor, as PyTorch
// exports) -> Concat with a skip tensor along channels (inputs requantised) ->
// Split 5 + 7 channels (as C2f; one part requantised) -> Resize to 1.5x by
// sizes (half_pixel, round_prefer_floor, requantised); the other part is
// concatenated with itself along W.
Graph concat_resize_model() {
  Graph g;
  g.opset = 13;
  add_input(g, "x", {1, 8, 8, 8});
  add_input(g, "skip", {1, 4, 16, 16});
  const std::string x = qdq(g, "x", 0.02f, 0), skip = qdq(g, "skip", 0.03f, 6);
  constant(g, "scales", Tensor::from(DType::kFloat32, {4}, std::vector<float>{1, 1, 2, 2}));
  Node up = node("Resize", {x, "", "scales"}, {"up"});
  up.attrs = {{"mode", std::string("nearest")},
              {"coordinate_transformation_mode", std::string("asymmetric")},
              {"nearest_mode", std::string("floor")}};
  const std::string u = op_qdq(g, up, 0.02f, 0);
  const std::string cat =
      op_qdq(g, with(node("Concat", {u, skip}, {"cat"}), "axis", int64_t(1)), 0.025f, 2);
  constant(g, "parts", Tensor::from(DType::kInt64, {2}, std::vector<int64_t>{5, 7}));
  g.nodes.push_back(with(node("Split", {cat, "parts"}, {"s0", "s1"}), "axis", int64_t(1)));
  const std::string s0 = qdq(g, "s0", 0.025f, 2), s1 = qdq(g, "s1", 0.02f, -1);
  constant(g, "sizes", Tensor::from(DType::kInt64, {4}, std::vector<int64_t>{1, 7, 24, 24}));
  Node up2 = node("Resize", {s1, "", "", "sizes"}, {"up2"});
  up2.attrs = {{"mode", std::string("nearest")}};
  const std::string y = op_qdq(g, up2, 0.03f, -3);
  const std::string wide =
      op_qdq(g, with(node("Concat", {s0, s0}, {"wide"}), "axis", int64_t(3)), 0.025f, 2);
  g.nodes.push_back(node("Identity", {y}, {"y"}));
  g.nodes.push_back(node("Identity", {wide}, {"y2"}));
  add_output(g, "y", {1, 7, 24, 24});
  add_output(g, "y2", {1, 5, 16, 32});
  return round_trip(g, "concat_resize_model");
}

// Data movement: NCHW -> NHWC transpose, reshape to rows (requantised on the
// way), a 3-D transpose, a reshape back to 4-D that splits an axis, a
// flatten, and strided slices of a 3-D and a 4-D tensor; each between
// DequantizeLinear and QuantizeLinear (YOLOv8's and BlazeFace's heads do this).
Graph permute_model() {
  Graph g;
  g.opset = 13;
  add_input(g, "x", {1, 16, 6, 10});
  const std::string x = qdq(g, "x", 0.02f, 1);
  const std::string t1 =
      op_qdq(g, with(node("Transpose", {x}, {"t1"}), "perm", Ints{0, 2, 3, 1}), 0.02f, 1);
  constant(g, "rows", Tensor::from(DType::kInt64, {3}, Ints{1, 60, 16}));
  const std::string r1 = op_qdq(g, node("Reshape", {t1, "rows"}, {"r1"}), 0.03f, -5);
  const std::string t2 =
      op_qdq(g, with(node("Transpose", {r1}, {"t2"}), "perm", Ints{0, 2, 1}), 0.03f, -5);
  constant(g, "image", Tensor::from(DType::kInt64, {4}, Ints{1, 8, 12, 10}));
  const std::string r2 = op_qdq(g, node("Reshape", {t2, "image"}, {"r2"}), 0.03f, -5);
  const std::string y =
      op_qdq(g, with(node("Flatten", {r2}, {"f"}), "axis", int64_t(1)), 0.025f, 0);
  auto ints = [&](const std::string& name, Ints v) {
    constant(g, name, Tensor::from(DType::kInt64, {int64_t(v.size())}, v));
    return name;
  };
  const std::string s3 = op_qdq(
      g,
      node("Slice",
           {t2, ints("b3", {2, 5}), ints("e3", {14, 60}), ints("a3", {1, -1}), ints("k3", {3, 2})},
           {"s3"}),
      0.03f, -5);
  const std::string s4 = op_qdq(g,
                                node("Slice",
                                     {x, ints("b4", {1, 0, -1}), ints("e4", {5, 10, 99}),
                                      ints("a4", {2, 3, 1}), ints("k4", {1, 3, 1})},
                                     {"s4"}),
                                0.02f, 1);
  g.nodes.push_back(node("Identity", {y}, {"y"}));
  g.nodes.push_back(node("Identity", {t2}, {"y2"}));
  g.nodes.push_back(node("Identity", {s3}, {"y3"}));
  g.nodes.push_back(node("Identity", {s4}, {"y4"}));
  add_output(g, "y", {1, 960});
  add_output(g, "y2", {1, 16, 60});
  add_output(g, "y3", {1, 4, 28});
  add_output(g, "y4", {1, 1, 4, 4});
  return round_trip(g, "permute_model");
}

// Bilinear upsampling of a batch of two (each image is one tile): odd sizes
// with half_pixel (requantised on the way), then 2x with align_corners, and
// 3x with asymmetric coordinates.
Graph bilinear_model() {
  Graph g;
  g.opset = 13;
  add_input(g, "x", {2, 6, 7, 9});
  const std::string x = qdq(g, "x", 0.02f, 1);
  constant(g, "sizes", Tensor::from(DType::kInt64, {4}, Ints{2, 6, 13, 20}));
  const std::string a =
      op_qdq(g, with(node("Resize", {x, "", "", "sizes"}, {"a"}), "mode", std::string("linear")),
             0.025f, -3);
  constant(g, "x2", Tensor::from(DType::kFloat32, {4}, std::vector<float>{1, 1, 2, 2}));
  Node up = node("Resize", {a, "", "x2"}, {"b"});
  up.attrs = {{"mode", std::string("linear")},
              {"coordinate_transformation_mode", std::string("align_corners")}};
  const std::string b = op_qdq(g, up, 0.025f, -3);
  constant(g, "x3", Tensor::from(DType::kFloat32, {4}, std::vector<float>{1, 1, 3, 3}));
  Node up3 = node("Resize", {x, "", "x3"}, {"c"});
  up3.attrs = {{"mode", std::string("linear")},
               {"coordinate_transformation_mode", std::string("asymmetric")}};
  const std::string c = op_qdq(g, up3, 0.02f, 1);
  g.nodes.push_back(node("Identity", {b}, {"y"}));
  g.nodes.push_back(node("Identity", {c}, {"y2"}));
  add_output(g, "y", {2, 6, 26, 40});
  add_output(g, "y2", {2, 6, 21, 27});
  return round_trip(g, "bilinear_model");
}

// Constant padding: of channels, rows and columns of an image (the zero
// point), of rows with a constant 0.5 into another quantisation (a table),
// and of a 2-D tensor.
Graph pad_model() {
  Graph g;
  g.opset = 13;
  add_input(g, "x", {1, 5, 6, 7});
  add_input(g, "m", {3, 10});
  const std::string x = qdq(g, "x", 0.02f, 3), m = qdq(g, "m", 0.05f, -7);
  auto ints = [&](const std::string& name, Ints v) {
    constant(g, name, Tensor::from(DType::kInt64, {int64_t(v.size())}, v));
    return name;
  };
  const std::string a =
      op_qdq(g, node("Pad", {x, ints("p1", {0, 1, 2, 0, 0, 2, 1, 3})}, {"a"}), 0.02f, 3);
  constant(g, "half", Tensor::from(DType::kFloat32, {}, std::vector<float>{0.5f}));
  const std::string b =
      op_qdq(g, node("Pad", {a, ints("p2", {0, 0, 3, 0, 0, 0, 2, 0}), "half"}, {"b"}), 0.03f, -10);
  const std::string c = op_qdq(g, node("Pad", {m, ints("p3", {1, 2, 0, 1})}, {"c"}), 0.05f, -7);
  g.nodes.push_back(node("Identity", {b}, {"y"}));
  g.nodes.push_back(node("Identity", {c}, {"y2"}));
  add_output(g, "y", {1, 8, 14, 10});
  add_output(g, "y2", {4, 13});
  return round_trip(g, "pad_model");
}

// Transposed convolutions: PP-OCR det's 2x2 stride-2 upsampling with bias
// and Relu (weights per output channel, axis 1), then 3x3 stride 2 with pads
// and output_padding (per-tensor weights).
Graph conv_transpose_model() {
  std::mt19937 rng(4);
  Graph g;
  g.opset = 13;
  add_input(g, "x", {1, 8, 5, 6});
  const std::string x = qdq(g, "x", 0.03f, -2);
  std::vector<int8_t> w(8 * 4 * 2 * 2);
  for (auto& v : w) v = static_cast<int8_t>(int(rng() % 255) - 127);
  constant(g, "w1_q", Tensor::from(DType::kInt8, {8, 4, 2, 2}, w));
  constant(g, "w1_s",
           Tensor::from(DType::kFloat32, {4}, std::vector<float>{0.002f, 0.004f, 0.003f, 0.005f}));
  constant(g, "w1_z", Tensor::from(DType::kInt8, {4}, std::vector<int8_t>(4, 0)));
  g.nodes.push_back(
      with(node("DequantizeLinear", {"w1_q", "w1_s", "w1_z"}, {"w1"}), "axis", int64_t(1)));
  constant(g, "b1",
           Tensor::from(DType::kFloat32, {4}, std::vector<float>{0.1f, -0.05f, 0.02f, 0.0f}));
  Node up = node("ConvTranspose", {x, "w1", "b1"}, {"up"});
  up.attrs = {{"strides", Ints{2, 2}}, {"kernel_shape", Ints{2, 2}}};
  g.nodes.push_back(up);
  const std::string a = op_qdq(g, node("Relu", {"up"}, {"a"}), 0.02f, -128);
  const std::string w2 = quantized_constant(g, "w2", {4, 6, 3, 3}, 0.004f, rng);
  Node up2 = node("ConvTranspose", {a, w2}, {"up2"});
  up2.attrs = {{"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}, {"output_padding", Ints{1, 1}}};
  const std::string y = op_qdq(g, up2, 0.05f, 3);
  g.nodes.push_back(node("Identity", {y}, {"y"}));
  add_output(g, "y", {1, 6, 20, 24});
  return round_trip(g, "conv_transpose_model");
}

// MatMul of rank-3 and rank-4 inputs with constant 2-D weights (attention
// and token-mixing projections): reshaped to rows around a 1x1 QConv.
Graph matmul_nd_model() {
  std::mt19937 rng(6);
  Graph g;
  g.opset = 13;
  add_input(g, "x", {2, 40, 8});
  add_input(g, "z", {1, 3, 16, 8});
  const std::string x = qdq(g, "x", 0.03f, 1), z = qdq(g, "z", 0.02f, -4);
  const std::string w = quantized_constant(g, "w", {8, 6}, 0.01f, rng);
  const std::string a = op_qdq(g, node("MatMul", {x, w}, {"a"}), 0.05f, 2);
  const std::string b = op_qdq(g, node("MatMul", {z, w}, {"b"}), 0.04f, 0);
  g.nodes.push_back(node("Identity", {a}, {"y"}));
  g.nodes.push_back(node("Identity", {b}, {"y2"}));
  add_output(g, "y", {2, 40, 6});
  add_output(g, "y2", {1, 3, 16, 6});
  return round_trip(g, "matmul_nd_model");
}

// Classifier head: Gemm(transB, bias) -> Relu -> MatMul + Add(bias), on [M, K].
Graph gemm_model() {
  std::mt19937 rng(3);
  Graph g;
  g.opset = 13;
  add_input(g, "x", {5, 40});
  const std::string x = qdq(g, "x", 0.03f, -2);
  const std::string w1 = quantized_constant(g, "w1", {24, 40}, 0.01f, rng);
  std::vector<float> b1(24), b2(6);
  for (int i = 0; i < 24; ++i) b1[i] = 0.05f * float(i % 5 - 2);
  for (int i = 0; i < 6; ++i) b2[i] = 0.1f * float(i - 3);
  constant(g, "b1", Tensor::from(DType::kFloat32, {24}, b1));
  constant(g, "b2", Tensor::from(DType::kFloat32, {6}, b2));
  g.nodes.push_back(with(node("Gemm", {x, w1, "b1"}, {"fc1"}), "transB", int64_t(1)));
  const std::string h = op_qdq(g, node("Relu", {"fc1"}, {"h"}), 0.05f, -128);
  const std::string w2 = quantized_constant(g, "w2", {24, 6}, 0.02f, rng);
  g.nodes.push_back(node("MatMul", {h, w2}, {"mm"}));
  const std::string y = op_qdq(g, node("Add", {"mm", "b2"}, {"fc2"}), 0.1f, 0);
  g.nodes.push_back(node("Identity", {y}, {"y"}));
  add_output(g, "y", {5, 6});
  return round_trip(g, "gemm_model");
}

// [Conv ->] PRelu with a slope per channel (float, then quantised behind a
// DequantizeLinear) and per column: one table per slope value. In device
// order (NHWC) the per-channel tables repeat every 16 bytes, the per-column
// ones every 12 * 16.
Graph prelu_model(bool conv) {
  std::mt19937 rng(9);
  Graph g;
  g.opset = 13;
  add_input(g, "x", {1, 16, 96, 12});
  std::string c = qdq(g, "x", 0.03f, 2);
  if (conv) {
    const std::string w = weights(g, "w", 16, 16, 3, rng);
    c = op_qdq(g, with(node("Conv", {c, w}, {"c"}), "pads", Ints{1, 1, 1, 1}), 0.05f, -3);
  }
  std::vector<float> per_channel(16), per_column(12);
  for (size_t i = 0; i < per_channel.size(); ++i) per_channel[i] = -0.5f + 0.09f * float(i);
  for (size_t i = 0; i < per_column.size(); ++i) per_column[i] = 0.07f * float(i) - 0.3f;
  constant(g, "slope_c", Tensor::from(DType::kFloat32, {16, 1, 1}, per_channel));
  constant(g, "slope_w", Tensor::from(DType::kFloat32, {12}, per_column));
  const std::string slope_q = quantized_constant(g, "slope_q", {1, 16, 1, 1}, 0.01f, rng);
  const std::string a = op_qdq(g, node("PRelu", {c, "slope_c"}, {"a"}), 0.03f, -40);
  const std::string b = op_qdq(g, node("PRelu", {a, "slope_w"}, {"b"}), 0.02f, -30);
  const std::string d = op_qdq(g, node("PRelu", {b, slope_q}, {"d"}), 0.02f, -20);
  g.nodes.push_back(node("Identity", {d}, {"y"}));
  add_output(g, "y", {1, 16, 96, 12});
  return round_trip(g, "prelu_model");
}

// ConvInteger (uint8 codes, stride 2, pads, zero points) and MatMulInteger
// (int8): their outputs are the int32 sums themselves, 4 bytes per element.
Graph integer_model() {
  std::mt19937 rng(10);
  Graph g;
  g.opset = 13;
  add_input(g, "x", {1, 8, 20, 22});
  add_input(g, "m", {6, 32});
  constant(g, "x_s", scalar_f(0.02f));
  constant(g, "x_z", Tensor::from(DType::kUint8, {}, std::vector<uint8_t>{120}));
  g.nodes.push_back(node("QuantizeLinear", {"x", "x_s", "x_z"}, {"x_q"}));
  constant(g, "m_s", scalar_f(0.03f));
  constant(g, "m_z", scalar_i8(-5));
  g.nodes.push_back(node("QuantizeLinear", {"m", "m_s", "m_z"}, {"m_q"}));
  std::uniform_int_distribution<int> code(-128, 127);
  std::vector<int8_t> w(16 * 8 * 3 * 3), b(32 * 10);
  for (auto& v : w) v = int8_t(code(rng));
  for (auto& v : b) v = int8_t(code(rng));
  constant(g, "w", Tensor::from(DType::kInt8, {16, 8, 3, 3}, w));
  constant(g, "w_z", scalar_i8(3));
  constant(g, "b", Tensor::from(DType::kInt8, {32, 10}, b));
  constant(g, "b_z", scalar_i8(-2));
  g.nodes.push_back(
      with(with(node("ConvInteger", {"x_q", "w", "x_z", "w_z"}, {"y"}), "pads", Ints{1, 0, 2, 1}),
           "strides", Ints{2, 1}));
  g.nodes.push_back(node("MatMulInteger", {"m_q", "b", "m_z", "b_z"}, {"y2"}));
  add_output(g, "y", {1, 16, 11, 21});
  add_output(g, "y2", {6, 10});
  g.values["y"].dtype = DType::kInt32;
  g.values["y2"].dtype = DType::kInt32;
  return round_trip(g, "integer_model");
}

// DepthToSpace of an int8 image (DCR, the default mode, blocksize 2; same
// quantisation: no table), then SpaceToDepth of the result (back to x's
// shape); DepthToSpace in CRD mode, blocksize 3, of a uint8 image,
// requantised through a table on the way.
Graph space_depth_model() {
  Graph g;
  g.opset = 13;
  add_input(g, "x", {1, 16, 6, 10});
  add_input(g, "u", {1, 18, 4, 6});
  const std::string x = qdq(g, "x", 0.02f, 1), u = qdq_u8(g, "u", 0.02f, 128);
  const std::string d1 =
      op_qdq(g, with(node("DepthToSpace", {x}, {"d1"}), "blocksize", int64_t(2)), 0.02f, 1);
  const std::string s1 =
      op_qdq(g, with(node("SpaceToDepth", {d1}, {"s1"}), "blocksize", int64_t(2)), 0.02f, 1);
  const std::string d2 =
      op_qdq_u8(g,
                with(with(node("DepthToSpace", {u}, {"d2"}), "blocksize", int64_t(3)), "mode",
                     std::string("CRD")),
                0.03f, 120);
  g.nodes.push_back(node("Identity", {d1}, {"y"}));
  g.nodes.push_back(node("Identity", {s1}, {"y2"}));
  g.nodes.push_back(node("Identity", {d2}, {"y3"}));
  add_output(g, "y", {1, 4, 12, 20});
  add_output(g, "y2", {1, 16, 6, 10});
  add_output(g, "y3", {1, 2, 12, 18});
  return round_trip(g, "space_depth_model");
}

struct OpModel {
  std::string name;
  std::function<Graph()> build;
  int npu_nodes;
  uint64_t tiled_sram;  // small enough that most layers need several row tiles
};

const std::vector<OpModel>& models() {
  static const std::vector<OpModel> m = {
      {"AddMul", add_model, 5, 8 << 10},
      {"Lut", [] { return lut_model(true); }, 8, 8 << 10},
      {"Pool", pool_model, 6, 4 << 10},
      {"ConcatSplitResize", concat_resize_model, 5, 2 << 10},
      {"GemmMatMul", gemm_model, 2, 2 << 10},
      {"Permute", permute_model, 7, 1 << 10},
      {"Bilinear", bilinear_model, 3, 64 << 10},
      {"Pad", pad_model, 3, 1 << 10},
      {"ConvTranspose", conv_transpose_model, 4, 4 << 10},
      {"MatMulNd", matmul_nd_model, 6, 1 << 10},
      {"PRelu", [] { return prelu_model(true); }, 4, 64 << 10},
      {"ConvMatMulInteger", integer_model, 2, 8 << 10},
      {"DepthToSpace", space_depth_model, 3, 2 << 10},
  };
  return m;
}

enum class Run { kSingle, kFused, kTiled };

compiler::TensorMap inputs_of(const Graph& g) {
  compiler::TensorMap in;
  uint32_t seed = 11;
  for (const auto& name : g.inputs) in[name] = random_input(g.value(name).shape, seed++);
  return in;
}

class CompileOpsTest : public DeviceTest,
                       public ::testing::WithParamInterface<std::tuple<size_t, Run>> {};

TEST_P(CompileOpsTest, NpuSegmentIsBitExactWithTheGoldenModel) {
  const auto [index, run] = GetParam();
  const OpModel& model = models()[index];
  if (run == Run::kTiled) {
    hw.sram_per_pe = model.tiled_sram;
    start(hw);
  }
  const bool fused = run == Run::kFused;
  const Graph g = model.build();
  const NpuCheck r =
      run_npu_segment(*device, hw, g, inputs_of(g), fused ? isa::Mode::kFused : isa::Mode::kSingle,
                      fused ? "npu0pe0-1" : "npu0pe0");
  for (const auto& p : r.compiled.placement)  // only the float boundary stays on the CPU
    if (p.unit == "CPU") {
      EXPECT_TRUE(p.node.find("QuantizeLinear") == 0 || p.node.find("DequantizeLinear") == 0 ||
                  p.node.find("Identity") == 0)
          << p.node << ": " << p.reason;
    }
  EXPECT_EQ(r.npu_nodes, model.npu_nodes);
  int npu_segments = 0, tiled = 0;
  for (const auto& seg : r.compiled.program.segments)
    npu_segments += std::holds_alternative<isa::NpuSegment>(seg);
  EXPECT_EQ(npu_segments, 1);  // the runtime runs one: every NPU node is checked
  for (const auto& layer : r.compiled.layers)
    tiled += layer.tiling.find(" 1 tile ") == std::string::npos;
  if (run == Run::kTiled) {  // what does not stay in SRAM goes in tiles
    EXPECT_GE(tiled, 1);
  }
  ASSERT_EQ(r.device.size(), r.golden.size());
  for (size_t k = 0; k < r.device.size(); ++k) {
    EXPECT_EQ(r.device[k], r.golden[k]) << "output " << k;
    const std::set<uint8_t> distinct(r.device[k].begin(), r.device[k].end());
    EXPECT_GT(distinct.size(), r.device[k].size() > 100 ? 20u : 3u) << "output " << k;
  }
}

std::string test_name(const ::testing::TestParamInfo<CompileOpsTest::ParamType>& info) {
  static const char* runs[] = {"Single", "Fused", "Tiled"};
  return models()[std::get<0>(info.param)].name + "_" +
         runs[static_cast<int>(std::get<1>(info.param))];
}

INSTANTIATE_TEST_SUITE_P(Families, CompileOpsTest,
                         ::testing::Combine(::testing::Range<size_t>(0, models().size()),
                                            ::testing::Values(Run::kSingle, Run::kFused,
                                                              Run::kTiled)),
                         test_name);

// A QDQ graph and the graph lower_quantized makes of it, run on the same inputs.
struct Lowered {
  compiler::TensorMap want, got;  // the float QDQ graph's outputs, the lowered graph's
  int count = 0;                  // nodes of the op asked for in the lowered graph
};

Lowered run_lowered(const Graph& g, const std::string& op) {
  Lowered r;
  Graph lowered = g;
  compiler::lower_quantized(lowered);
  for (const auto& n : lowered.nodes) r.count += n.op == op;
  const compiler::TensorMap in = inputs_of(g);
  r.want = compiler::execute(g, in);
  r.got = compiler::execute(lowered, in);
  return r;
}

// Expects every element of `got` within `step` (one output LSB) of `want`;
// returns the share of elements that are equal.
double within_one_step(const Tensor& want, const Tensor& got, double step,
                       const std::string& what) {
  EXPECT_EQ(compiler::shape_string(want.shape()), compiler::shape_string(got.shape())) << what;
  if (want.size() != got.size()) return 0;
  int64_t equal = 0;
  for (int64_t i = 0; i < want.size(); ++i) {
    EXPECT_LE(std::abs(want.at(i) - got.at(i)), step + 1e-6) << what << " element " << i;
    equal += want.at(i) == got.at(i);
  }
  return double(equal) / double(want.size());
}

// The tables are the float graph itself: DQ -> activation -> Q, evaluated on
// every code, so the lowered graph equals the float QDQ graph exactly.
TEST(CompileOpsLowering, ActivationTablesEqualTheFloatGraph) {
  const Lowered r = run_lowered(lut_model(false), "QLut");
  EXPECT_EQ(r.count, 7);
  EXPECT_EQ(r.want.at("y").raw(), r.got.at("y").raw());
}

// A PRelu's tables are the float graph itself, one per slope value, so the
// lowered graph equals the float QDQ graph exactly, slope by slope.
TEST(CompileOpsLowering, PreluTablesEqualTheFloatGraph) {
  const Lowered r = run_lowered(prelu_model(false), "QLut");
  EXPECT_EQ(r.count, 3);
  EXPECT_EQ(r.want.at("y").raw(), r.got.at("y").raw());
}

// In device order (NHWC) a per-channel slope's tables repeat every 16 bytes
// and a per-column slope's every 12 * 16: vec.lutn walks that many tables.
TEST(CompileOpsLowering, PreluTablesRepeatWithTheSlopesPeriodInDeviceOrder) {
  const compiler::CompileResult r = compiler::compile(prelu_model(false), {});  // warboy
  std::set<int64_t> tables;
  for (const auto& seg : r.program.segments)
    if (const auto* npu = std::get_if<isa::NpuSegment>(&seg))
      for (const auto& code : npu->streams[0])
        for (const auto& in : isa::decode(code))
          if (in.op == isa::Opcode::kVecLutN) tables.insert(in[isa::Field::kTables]);
  EXPECT_EQ(tables, (std::set<int64_t>{16, 192}));
  // A row of the NHWC tensor holds whole periods (16 channels; 12 columns of
  // 16): the tables tile by rows, and a tile never splits a period.
  int by_rows = 0;
  for (const auto& layer : r.layers)
    by_rows += layer.op == "QLut" && layer.tiling.find(" rows,") != std::string::npos;
  EXPECT_EQ(by_rows, 3);
}

// ConvInteger and MatMulInteger become QConv writing int32 sums: the lowered
// graph equals ONNX's integer ops exactly.
TEST(CompileOpsLowering, IntegerConvAndMatMulEqualOnnx) {
  const Lowered r = run_lowered(integer_model(), "QConv");
  EXPECT_EQ(r.count, 2);
  EXPECT_EQ(r.got.at("y").dtype(), DType::kInt32);
  EXPECT_EQ(r.want.at("y").raw(), r.got.at("y").raw());
  EXPECT_EQ(r.want.at("y2").raw(), r.got.at("y2").raw());
}

// QPermute is the ONNX data movement itself: the lowered graph's outputs equal
// the float QDQ graph's (Transpose, Reshape, Flatten on dequantised values)
// exactly, so the device, equal to the lowered graph, equals ONNX too.
TEST(CompileOpsLowering, PermutesEqualTheFloatGraph) {
  const Lowered r = run_lowered(permute_model(), "QPermute");
  EXPECT_EQ(r.count, 7);
  for (const char* out : {"y", "y2", "y3", "y4"})
    EXPECT_EQ(r.want.at(out).raw(), r.got.at(out).raw()) << out;
}

// QPad is ONNX's constant padding itself: the lowered graph equals the
// float QDQ graph exactly (the pad value quantised like any other value).
TEST(CompileOpsLowering, PadsEqualTheFloatGraph) {
  const Lowered r = run_lowered(pad_model(), "QPad");
  EXPECT_EQ(r.count, 3);
  for (const char* out : {"y", "y2"}) EXPECT_EQ(r.want.at(out).raw(), r.got.at(out).raw()) << out;
}

// DepthToSpace and SpaceToDepth are data movement (and the table, the float
// graph's requantisation): the lowered graph equals the float QDQ graph exactly.
TEST(CompileOpsLowering, DepthToSpaceAndBackEqualTheFloatGraph) {
  const Lowered r = run_lowered(space_depth_model(), "QDepthToSpace");
  EXPECT_EQ(r.count, 2);
  for (const char* out : {"y", "y2", "y3"})
    EXPECT_EQ(r.want.at(out).raw(), r.got.at(out).raw()) << out;
}

// A transposed convolution lowers to QPad + QConv with the ONNX result: the
// lowered graph equals the float QDQ graph (integer sums are exact; float
// ones may differ by a rounding at a tie, hence within 1 LSB, nearly all equal).
TEST(CompileOpsLowering, ConvTransposeMatchesTheFloatGraph) {
  const Lowered r = run_lowered(conv_transpose_model(), "QConv");
  EXPECT_EQ(r.count, 2);
  EXPECT_GE(within_one_step(r.want.at("y"), r.got.at("y"), 0.05, "y"), 0.99);
}

// Sub is QAdd with b's multiplier negated: the lowered graph is within 1 LSB
// of the float QDQ graph (fixed-point requantisation), with broadcasting.
TEST(CompileOpsLowering, SubMatchesTheFloatGraph) {
  Graph g;
  g.opset = 13;
  add_input(g, "a", {1, 8, 6, 6});
  add_input(g, "b", {1, 8, 1, 1});
  const std::string a = qdq(g, "a", 0.03f, 5), b = qdq(g, "b", 0.02f, -3);
  const std::string d = op_qdq(g, node("Sub", {a, b}, {"d"}), 0.04f, 0);
  g.nodes.push_back(node("Identity", {d}, {"y"}));
  add_output(g, "y", {1, 8, 6, 6});
  const Lowered r = run_lowered(round_trip(g, "sub_model"), "QAdd");
  EXPECT_EQ(r.count, 1);
  const Tensor& want = r.want.at("y");
  within_one_step(want, r.got.at("y"), 0.04, "y");
  std::set<double> values;
  for (int64_t i = 0; i < want.size(); ++i) values.insert(want.at(i));
  EXPECT_GT(values.size(), 20u);
}

// auto_pad is resolved against the input's shape when a Conv is lowered
// (SAME_LOWER puts the odd pad first, SAME_UPPER last): the lowered graph is
// within 1 LSB of the float graph, whose Conv applies auto_pad itself.
TEST(CompileOpsLowering, ConvAutoPadIsResolved) {
  for (const char* mode : {"SAME_UPPER", "SAME_LOWER", "VALID"}) {
    SCOPED_TRACE(mode);
    std::mt19937 rng(9);
    Graph g;
    g.opset = 13;
    add_input(g, "x", {1, 4, 8, 7});
    const std::string x = qdq(g, "x", 0.03f, 2);
    const std::string w = weights(g, "w", 6, 4, 3, rng);
    Node conv = node("Conv", {x, w}, {"c"});
    conv.attrs = {{"strides", Ints{2, 2}}, {"auto_pad", std::string(mode)}};
    const std::string y = op_qdq(g, conv, 0.05f, 0);
    g.nodes.push_back(node("Identity", {y}, {"y"}));
    const int64_t oh = std::string(mode) == "VALID" ? 3 : 4,
                  ow = std::string(mode) == "VALID" ? 3 : 4;
    add_output(g, "y", {1, 6, oh, ow});
    const Lowered r = run_lowered(round_trip(g, "autopad_model"), "QConv");
    EXPECT_EQ(r.count, 1);
    within_one_step(r.want.at("y"), r.got.at("y"), 0.05, "y");
  }
}

// N-D MatMul: the lowered graph (reshape, 1x1 QConv, reshape) is within
// 1 LSB of the float graph.
TEST(CompileOpsLowering, MatMulOfHigherRankMatchesTheFloatGraph) {
  const Lowered r = run_lowered(matmul_nd_model(), "QConv");
  EXPECT_EQ(r.count, 2);
  for (const auto& [out, step] : {std::pair{"y", 0.05}, std::pair{"y2", 0.04}})
    within_one_step(r.want.at(out), r.got.at(out), step, out);
}

// The bit-exact runs above cover both of QPermute's data paths: permuting
// in SRAM (the whole tensor fits) and gathering by DMA (SRAM too small).
TEST(CompileOpsLowering, PermuteTakesBothDataPaths) {
  std::set<std::string> paths;
  for (const uint64_t sram : {uint64_t{16} << 20, uint64_t{1} << 10}) {
    compiler::CompileOptions o;
    o.hw.sram_per_pe = sram;
    for (const auto& layer : compiler::compile(permute_model(), o).layers)
      for (const char* path : {"permuted in SRAM", "gathered by DMA"})
        if (layer.tiling.find(path) != std::string::npos) paths.insert(path);
  }
  EXPECT_EQ(paths.size(), 2u);
}

// Bilinear resizing interpolates codes in 16-bit fixed point where ONNX
// interpolates dequantised floats: the lowered graph is within 1 LSB of the
// float QDQ graph. Exact halves (a quarter of an odd difference, say) are
// ties the codes round half to even and the floats, a rounding error away,
// round either way: about one element in five differs.
TEST(CompileOpsLowering, BilinearIsWithinOneLsbOfTheFloatGraph) {
  const Lowered r = run_lowered(bilinear_model(), "QResize");
  EXPECT_EQ(r.count, 3);
  for (const char* out : {"y", "y2"})
    EXPECT_GE(within_one_step(r.want.at(out), r.got.at(out), 0.025, out), 0.75) << out;
}

// What stays on the CPU says why; a lowered op whose shape the NPU cannot
// tile stays on the CPU too, and the model still compiles.
TEST(CompileOpsLowering, PlacementReportSaysWhyEachCpuNodeIsThere) {
  Graph g;
  g.opset = 13;
  add_input(g, "a", {1, 4, 6, 1});
  add_input(g, "b", {1, 1, 1, 6});
  const std::string a = qdq(g, "a", 0.1f, 0), b = qdq(g, "b", 0.1f, 0);
  const std::string s = op_qdq(g, node("Add", {a, b}, {"sum"}), 0.1f, 0);  // 2-way broadcast
  g.nodes.push_back(with(node("Softmax", {s}, {"y"}), "axis", int64_t(1)));
  add_output(g, "y", {1, 4, 6, 6});
  compiler::CompileOptions options;
  const compiler::CompileResult r = compiler::compile(round_trip(g, "cpu_model"), options);
  std::map<std::string, std::string> reason;
  for (const auto& p : r.placement) {
    EXPECT_EQ(p.unit, "CPU") << p.node;
    EXPECT_FALSE(p.reason.empty()) << p.node;
    reason[p.node] = p.reason;
  }
  EXPECT_NE(reason["QAdd 'sum_Add'"].find("broadcasting"), std::string::npos);
  EXPECT_NE(reason["Softmax 'y_Softmax'"].find("Softmax"), std::string::npos);
}

}  // namespace
}  // namespace npusim::testing
