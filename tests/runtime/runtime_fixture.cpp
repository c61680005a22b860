#include "runtime_fixture.hpp"

#include "npusim/compiler/lower_quantized.hpp"

namespace npusim::testing {

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
