// The tight-loop form of quantise/dequantise-only CPU segments
// (runtime/src/boundary_segment.*): which graphs it takes, and that it gives
// the reference executor's results bit for bit.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "../../runtime/src/boundary_segment.hpp"
#include "npusim/compiler/executor.hpp"

namespace npusim::runtime {
namespace {

using compiler::DType;
using compiler::Graph;
using compiler::Node;
using compiler::Tensor;

void add_input(Graph& g, const std::string& name, DType t, compiler::Shape s) {
  compiler::Value& v = g.values[name];
  v.name = name;
  v.dtype = t;
  v.shape = std::move(s);
  v.rank_known = true;
  g.inputs.push_back(name);
}

void add_node(Graph& g, const std::string& op, std::vector<std::string> in, const std::string& out,
              DType out_type, compiler::Shape shape) {
  Node n;
  n.name = op + "_" + out;
  n.op = op;
  n.inputs = std::move(in);
  n.outputs = {out};
  g.nodes.push_back(n);
  compiler::Value& v = g.values[out];
  v.name = out;
  v.dtype = out_type;
  v.shape = std::move(shape);
  v.rank_known = true;
  g.outputs.push_back(out);
}

// images -> QuantizeLinear (int8, zp -3); codes (uint8) -> DequantizeLinear (zp 131);
// plain (float) -> QuantizeLinear without a zero point (uint8).
Graph boundary_graph() {
  Graph g;
  g.opset = 13;
  const compiler::Shape s{1, 3, 17, 19};
  add_input(g, "images", DType::kFloat32, s);
  add_input(g, "codes", DType::kUint8, s);
  add_input(g, "plain", DType::kFloat32, s);
  g.set_constant("qs", Tensor::from(DType::kFloat32, {}, std::vector<float>{0.0123f}));
  g.set_constant("qz", Tensor::from(DType::kInt8, {}, std::vector<int8_t>{-3}));
  g.set_constant("ds", Tensor::from(DType::kFloat32, {1}, std::vector<float>{0.37f}));
  g.set_constant("dz", Tensor::from(DType::kUint8, {1}, std::vector<uint8_t>{131}));
  add_node(g, "QuantizeLinear", {"images", "qs", "qz"}, "images_q", DType::kInt8, s);
  add_node(g, "DequantizeLinear", {"codes", "ds", "dz"}, "codes_f", DType::kFloat32, s);
  add_node(g, "QuantizeLinear", {"plain", "ds"}, "plain_q", DType::kUint8, s);
  return g;
}

compiler::TensorMap hard_inputs() {
  const compiler::Shape s{1, 3, 17, 19};
  Tensor images(DType::kFloat32, s), plain(DType::kFloat32, s), codes(DType::kUint8, s);
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> any(-3.f, 3.f);
  auto f = images.as<float>();
  for (size_t i = 0; i < f.size(); ++i) f[i] = any(rng);
  f[0] = std::numeric_limits<float>::quiet_NaN();
  f[1] = std::numeric_limits<float>::infinity();
  f[2] = -std::numeric_limits<float>::infinity();
  f[3] = 2.5f * 0.0123f;  // a tie
  f[4] = -0.0f;
  auto p = plain.as<float>();
  for (size_t i = 0; i < p.size(); ++i) p[i] = any(rng) * 40;
  for (size_t i = 0; i < codes.raw().size(); ++i) codes.raw()[i] = static_cast<uint8_t>(i * 7);
  return {{"images", images}, {"codes", codes}, {"plain", plain}};
}

TEST(BoundarySegment, GivesTheExecutorsBitsForQuantiseAndDequantise) {
  const Graph g = boundary_graph();
  const auto plan = BoundarySegment::plan(g);
  ASSERT_TRUE(plan.has_value());
  const compiler::TensorMap in = hard_inputs();
  compiler::TensorMap env = in;
  ASSERT_TRUE(plan->accepts(env));
  plan->run(env);
  const compiler::TensorMap want = compiler::execute(g, in);
  ASSERT_EQ(want.size(), 3u);
  for (const auto& [name, t] : want) {
    ASSERT_TRUE(env.count(name)) << name;
    EXPECT_EQ(env.at(name).dtype(), t.dtype()) << name;
    EXPECT_EQ(env.at(name).shape(), t.shape()) << name;
    EXPECT_EQ(env.at(name).raw(), t.raw()) << name;
  }
  EXPECT_EQ(env.size(), in.size() + want.size());  // the inputs stay, like the executor's caller
}

TEST(BoundarySegment, OtherGraphsKeepTheExecutor) {
  {
    Graph g = boundary_graph();
    add_node(g, "Relu", {"codes_f"}, "relu", DType::kFloat32, {1, 3, 17, 19});
    EXPECT_FALSE(BoundarySegment::plan(g).has_value()) << "a Relu";
  }
  {
    Graph g = boundary_graph();  // per-axis scale
    g.set_constant("qs", Tensor::from(DType::kFloat32, {3}, std::vector<float>{0.1f, 0.2f, 0.3f}));
    EXPECT_FALSE(BoundarySegment::plan(g).has_value()) << "per-channel scale";
  }
  {
    Graph g = boundary_graph();  // a scale computed at run time, not a constant
    add_input(g, "runtime_scale", DType::kFloat32, {});
    g.nodes[0].inputs[1] = "runtime_scale";
    EXPECT_FALSE(BoundarySegment::plan(g).has_value()) << "non-constant scale";
  }
}

TEST(BoundarySegment, RefusesInputsOfAnotherType) {
  const auto plan = BoundarySegment::plan(boundary_graph());
  ASSERT_TRUE(plan.has_value());
  compiler::TensorMap env = hard_inputs();
  env["images"] = Tensor(DType::kInt32, {1, 3, 17, 19});  // the executor reports this
  EXPECT_FALSE(plan->accepts(env));
}

}  // namespace
}  // namespace npusim::runtime
