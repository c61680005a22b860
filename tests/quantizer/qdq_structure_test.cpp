// The QDQ graph the quantiser writes for a small CNN: where the Q/DQ pairs
// are (and are not), what the constants become, and that the compiler's
// lower_quantized turns every Conv into QConv.
#include <gtest/gtest.h>

#include <set>

#include "npusim/compiler/lower_quantized.hpp"
#include "npusim/compiler/onnx_io.hpp"
#include "npusim/compiler/quantizer.hpp"
#include "test_models.hpp"

namespace npusim::compiler {
namespace {

using testing::random_inputs;
using testing::small_cnn;

struct Quantized {
  Graph fp32;
  QuantPlan plan;
  QuantizedModel q;
};

Quantized quantize_small_cnn(const QuantizeOptions& options = {}) {
  Quantized r;
  r.fp32 = prepare_graph(small_cnn(), "small_cnn");
  r.plan = plan_quantization(r.fp32);
  const Calibration c = calibrate(r.fp32, r.plan.activations, random_inputs(r.fp32, 8, 1));
  const RangeTable ranges = compute_ranges(r.fp32, c, r.plan, parse_range_method("minmax"));
  r.q = quantize_graph(r.fp32, r.plan, ranges, options);
  // Through ONNX and back: the checker and shape inference accept it.
  r.q.graph = import_onnx_bytes(export_onnx_bytes(r.q.graph), "qdq");
  return r;
}

const Node* producer(const Graph& g, const std::string& v) {
  const int p = g.producer(v);
  return p < 0 ? nullptr : &g.nodes[p];
}

std::vector<const Node*> nodes_of(const Graph& g, const std::string& op) {
  std::vector<const Node*> out;
  for (const auto& n : g.nodes)
    if (n.op == op) out.push_back(&n);
  return out;
}

TEST(QdqStructure, ConvInputsComeFromDequantizeLinear) {
  const Quantized r = quantize_small_cnn();
  const Graph& g = r.q.graph;
  ASSERT_EQ(nodes_of(g, "Conv").size(), 3u);
  for (const Node* conv : nodes_of(g, "Conv")) {
    const Node* x = producer(g, conv->inputs[0]);
    const Node* w = producer(g, conv->inputs[1]);
    ASSERT_TRUE(x && x->op == "DequantizeLinear") << conv->describe();
    ASSERT_TRUE(w && w->op == "DequantizeLinear") << conv->describe();
    // Weights: int8 constant, one scale per output channel along axis 0, zero points 0.
    const Tensor& wq = *g.value(w->inputs[0]).constant;
    EXPECT_EQ(wq.dtype(), DType::kInt8);
    EXPECT_EQ(w->i("axis", 1), 0);
    EXPECT_EQ(g.value(w->inputs[1]).constant->size(), wq.shape()[0]);
    for (int64_t i = 0; i < wq.size(); ++i) EXPECT_GE(wq.as<int8_t>()[i], -127);
    const Tensor& zp = *g.value(w->inputs[2]).constant;
    for (int64_t i = 0; i < zp.size(); ++i) EXPECT_EQ(zp.int_at(i), 0);
    if (conv->inputs.size() > 2) {  // bias: int32 at x_scale * w_scale
      const Node* b = producer(g, conv->inputs[2]);
      ASSERT_TRUE(b && b->op == "DequantizeLinear");
      EXPECT_EQ(g.value(b->inputs[0]).constant->dtype(), DType::kInt32);
      const float xs = static_cast<float>(g.value(x->inputs[1]).constant->at(0));
      const Tensor& ws = *g.value(w->inputs[1]).constant;
      const Tensor& bs = *g.value(b->inputs[1]).constant;
      for (int64_t o = 0; o < ws.size(); ++o) EXPECT_FLOAT_EQ(bs.at(o), xs * ws.at(o));
    }
  }
}

TEST(QdqStructure, ReluAfterConvOrAddIsNotQuantisedInBetween) {
  const Quantized r = quantize_small_cnn();
  const Graph& g = r.q.graph;
  for (const Node* relu : nodes_of(g, "Relu")) {
    const Node* p = producer(g, relu->inputs[0]);
    ASSERT_TRUE(p) << relu->describe();
    EXPECT_TRUE(p->op == "Conv" || p->op == "Add") << relu->describe() << " reads " << p->op;
    EXPECT_EQ(g.consumers(relu->outputs[0]).size(), 1u);
    EXPECT_EQ(g.nodes[g.consumers(relu->outputs[0])[0]].op, "QuantizeLinear");
  }
}

// Sub of two activations is quantised like Add (the NPU runs it as vec.add
// with a negated multiplier): both operands come from DequantizeLinear and
// its output, after a fused Relu, goes to QuantizeLinear; it lowers to QAdd.
TEST(QdqStructure, SubOfTwoActivationsIsQuantisedLikeAdd) {
  testing::ModelBuilder b;
  const std::string x = b.input("x", {1, 3, 8, 8});
  const std::string d = b.op("Sub", {b.conv(x, 4, 3, 1, 1), b.conv(x, 4, 3, 1, 1)});
  b.output(b.op("Relu", {d}));
  const Graph fp32 = prepare_graph(b.build(), "sub");
  const QuantPlan plan = plan_quantization(fp32);
  const Calibration c = calibrate(fp32, plan.activations, random_inputs(fp32, 4, 2));
  const RangeTable ranges = compute_ranges(fp32, c, plan, parse_range_method("minmax"));
  Graph g = quantize_graph(fp32, plan, ranges).graph;
  const auto subs = nodes_of(g, "Sub");
  ASSERT_EQ(subs.size(), 1u);
  for (const auto& in : subs[0]->inputs) EXPECT_EQ(producer(g, in)->op, "DequantizeLinear");
  const auto after = g.consumers(subs[0]->outputs[0]);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(g.nodes[after[0]].op, "Relu");
  EXPECT_EQ(g.nodes[g.consumers(g.nodes[after[0]].outputs[0])[0]].op, "QuantizeLinear");
  int adds = 0;
  for (const auto& note : lower_quantized(g)) adds += note.result == "QAdd";
  EXPECT_EQ(adds, 1);
}

TEST(QdqStructure, SiluIsOneFunctionOfOneQuantisedValue) {
  const Quantized r = quantize_small_cnn();
  const Graph& g = r.q.graph;
  const auto sigmoids = nodes_of(g, "Sigmoid");
  ASSERT_EQ(sigmoids.size(), 1u);
  const std::string x = sigmoids[0]->inputs[0];
  ASSERT_EQ(producer(g, x)->op, "DequantizeLinear");
  const auto muls = g.consumers(sigmoids[0]->outputs[0]);
  ASSERT_EQ(muls.size(), 1u);  // no Q/DQ between Sigmoid and Mul
  const Node& mul = g.nodes[muls[0]];
  EXPECT_EQ(mul.op, "Mul");
  EXPECT_TRUE(mul.inputs[0] == x || mul.inputs[1] == x);  // the same dequantised x
  EXPECT_EQ(g.nodes[g.consumers(mul.outputs[0])[0]].op, "QuantizeLinear");
}

TEST(QdqStructure, MaxPoolAndFlattenReuseTheirInputParameters) {
  const Quantized r = quantize_small_cnn();
  std::set<std::string> shared;
  for (const auto& a : r.q.activations)
    if (!a.shared_with.empty()) shared.insert(producer(r.fp32, a.tensor)->op);
  EXPECT_EQ(shared, (std::set<std::string>{"MaxPool", "Flatten"}));
  std::map<std::string, ActivationQuant> by;
  for (const auto& a : r.q.activations) by[a.tensor] = a;
  for (const auto& a : r.q.activations)
    if (!a.shared_with.empty()) {
      EXPECT_EQ(a.scale, by.at(a.shared_with).scale);
      EXPECT_EQ(a.zero_point, by.at(a.shared_with).zero_point);
    }
}

TEST(QdqStructure, GraphInputIsQuantisedAndOutputEndsInDequantize) {
  const Quantized r = quantize_small_cnn();
  const Graph& g = r.q.graph;
  EXPECT_EQ(g.inputs, r.fp32.inputs);
  EXPECT_EQ(g.outputs, r.fp32.outputs);
  EXPECT_EQ(g.value("x").dtype, DType::kFloat32);
  const auto users = g.consumers("x");
  ASSERT_EQ(users.size(), 1u);
  EXPECT_EQ(g.nodes[users[0]].op, "QuantizeLinear");
  const Node* out = producer(g, g.outputs[0]);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->op, "DequantizeLinear");
  EXPECT_EQ(g.value(g.outputs[0]).dtype, DType::kFloat32);
  EXPECT_GE(g.opset, 13);
}

TEST(QdqStructure, IntegerInputDropsTheHostQuantize) {
  QuantizeOptions options;
  options.input_types["x"] = DType::kUint8;
  const Quantized r = quantize_small_cnn(options);
  const Graph& g = r.q.graph;
  EXPECT_EQ(g.value("x").dtype, DType::kUint8);
  for (const int u : g.consumers("x")) EXPECT_EQ(g.nodes[u].op, "DequantizeLinear");
  EXPECT_EQ(nodes_of(g, "QuantizeLinear").size() + 1,
            nodes_of(quantize_small_cnn().q.graph, "QuantizeLinear").size());
  const ActivationQuant& iq = r.q.integer_inputs.at("x");
  // uint8 codes are the int8 codes + 128.
  const ActivationQuant& plain =
      *std::find_if(r.q.activations.begin(), r.q.activations.end(),
                    [](const ActivationQuant& a) { return a.tensor == "x"; });
  EXPECT_EQ(iq.zero_point, plain.zero_point + 128);
  // The model runs on the quantised input and agrees with the float-input model.
  const auto in = random_inputs(r.fp32, 1, 5)[0];
  const TensorMap a = execute(g, quantized_inputs(r.q, in));
  const TensorMap b = execute(quantize_small_cnn().q.graph, in);
  EXPECT_EQ(a.at(g.outputs[0]).raw(), b.at(g.outputs[0]).raw());
}

TEST(QdqStructure, LowerQuantizedTurnsEveryConvIntoQConv) {
  const Quantized r = quantize_small_cnn();
  Graph g = r.q.graph;
  int qconv = 0;
  for (const auto& note : lower_quantized(g)) qconv += note.result == "QConv";
  EXPECT_EQ(nodes_of(g, "Conv").size(), 0u);
  EXPECT_GE(qconv, 3);  // the three convolutions (and the Gemm, as a 1x1 QConv)
  for (const auto& n : g.nodes) EXPECT_NE(n.op, "Conv") << n.describe();
}

TEST(QdqStructure, PlanNamesRolesAndLeavesNothingInFloat) {
  const Quantized r = quantize_small_cnn();
  EXPECT_TRUE(r.plan.float_nodes.empty());
  EXPECT_EQ(r.plan.weights.size(), 4u);  // 3 Conv + Gemm
  EXPECT_EQ(r.plan.biases.size(), 4u);   // conv1, conv3, Gemm, and conv2's absent one
  EXPECT_EQ(std::count_if(r.plan.biases.begin(), r.plan.biases.end(),
                          [](const BiasUse& b) { return b.absent; }),
            1);
  std::map<std::string, int> roles;
  for (const auto& [node, role] : r.plan.roles) ++roles[role];
  EXPECT_EQ(roles["fused-activation"], 2);
  EXPECT_EQ(roles["lut"], 2);  // Sigmoid and Mul of the SiLU
}

// A channel of tiny weights with a large bias (PP-OCRv4 det has 8): its
// weight scale is raised until bias code + 255 * sum |weight codes| fits the
// int32 accumulator, so the NPU's integer QConv (lowered graph) computes
// what the QDQ graph does. Raised only until the bias code fits, the
// accumulator wrapped here.
TEST(QdqStructure, BiasLeavesRoomInTheInt32Accumulator) {
  testing::ModelBuilder b;
  const std::string x = b.input("x", {1, 4, 6, 6});
  std::vector<float> w(2 * 4 * 3 * 3);
  for (size_t i = 0; i < w.size(); ++i)
    w[i] = i < 36 ? 0.05f * float(int(i % 7) - 3) : -3.6e-6f;  // channel 1: tiny, one sign
  const std::string wc = b.constant("w", Tensor::from(DType::kFloat32, {2, 4, 3, 3}, w));
  const std::string bc =
      b.constant("b", Tensor::from(DType::kFloat32, {2}, std::vector<float>{0.1f, -0.5f}));
  b.output(b.op("Conv", {x, wc, bc}, {{"pads", std::vector<int64_t>{1, 1, 1, 1}}}));
  const Graph g = b.build();
  const QuantPlan plan = plan_quantization(g);
  const Calibration c = calibrate(g, plan.activations, random_inputs(g, 4, 1));
  QuantizedModel q =
      quantize_graph(g, plan, compute_ranges(g, c, plan, parse_range_method("minmax")));
  bool raised = false;
  for (const auto& note : q.notes) raised = raised || note.find("accumulator") != std::string::npos;
  EXPECT_TRUE(raised) << "channel 1's weight scale is raised";

  const Node* conv = nodes_of(q.graph, "Conv").at(0);
  const Tensor& wq = *q.graph.value(producer(q.graph, conv->inputs[1])->inputs[0]).constant;
  const Tensor& bq = *q.graph.value(producer(q.graph, conv->inputs[2])->inputs[0]).constant;
  for (int64_t o = 0; o < 2; ++o) {
    int64_t sum = 0;
    for (int64_t k = 0; k < 36; ++k) sum += std::abs(int64_t(wq.as<int8_t>()[o * 36 + k]));
    EXPECT_LE(std::abs(int64_t(bq.as<int32_t>()[o])) + 255 * sum, int64_t(INT32_MAX))
        << "channel " << o;
  }
  // The integer QConv agrees with the float QDQ definition.
  Graph lowered = q.graph;
  lower_quantized(lowered);
  ASSERT_TRUE(nodes_of(lowered, "Conv").empty());
  const std::string codes = producer(q.graph, g.outputs[0])->inputs[0];
  for (const auto& in : random_inputs(g, 3, 7)) {
    const Tensor a = execute(q.graph, in, {true}).at(codes);
    const Tensor l = execute(lowered, in, {true}).at(codes);
    for (int64_t i = 0; i < a.size(); ++i)
      ASSERT_LE(std::abs(a.as<int8_t>()[i] - l.as<int8_t>()[i]), 1) << "element " << i;
  }
}

}  // namespace
}  // namespace npusim::compiler
