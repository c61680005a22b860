#include "runtime_fixture.hpp"

#include "npusim/compiler/lower_quantized.hpp"

namespace npusim::testing {

// x[1,8,16,16] -> Q/DQ -> Conv3x3(16) -> Relu -> Q/DQ -> Conv1x1(8, stride 2) -> Q/DQ -> y
Graph two_conv_model() {
  std::mt19937 rng(5);
  Graph g;
  g.opset = 13;
  add_input(g, "x", {1, 8, 16, 16});
  const std::string x = qdq(g, "x", 0.05f, 3);
  const std::string w1 = weights(g, "w1", 16, 8, 3, rng);
  Node c1 = node("Conv", {x, w1}, {"c1"});
  c1.attrs["pads"] = std::vector<int64_t>{1, 1, 1, 1};
  g.nodes.push_back(c1);
  g.nodes.push_back(node("Relu", {"c1"}, {"r1"}));
  const std::string r1 = qdq(g, "r1", 0.02f, -128);
  const std::string w2 = weights(g, "w2", 8, 16, 1, rng);
  Node c2 = node("Conv", {r1, w2}, {"c2"});
  c2.attrs["strides"] = std::vector<int64_t>{2, 2};
  g.nodes.push_back(c2);
  const std::string y = qdq(g, "c2", 0.01f, 0);
  g.nodes.push_back(node("Identity", {y}, {"y"}));
  add_output(g, "y", {1, 8, 8, 8});
  return round_trip(g, "two_conv_model");
}

void RuntimeTest::configure(const isa::HwParams& params, bool timing_only) {
  hw = params;
  transport = sim::in_process_device({hw, timing_only});
}

std::shared_ptr<const runtime::Model> RuntimeTest::compiled(isa::Mode target) {
  compiler::CompileOptions o;
  o.hw = hw;
  o.target = target;
  return runtime::Model::from_program(compiler::compile(graph, o).program, "two_conv_model", hw);
}

runtime::RunnerOptions RuntimeTest::options(const std::string& devices, int workers) const {
  runtime::RunnerOptions o;
  o.transport = transport;
  o.devices = devices;
  o.worker_num = workers;
  o.timeout = std::chrono::seconds(60);
  return o;
}

std::vector<Tensor> RuntimeTest::expected(const Tensor& input) const {
  Graph golden = graph;
  compiler::lower_quantized(golden);
  const compiler::TensorMap out = compiler::execute(golden, {{"x", input}});
  return {out.at("y")};
}

}  // namespace npusim::testing
