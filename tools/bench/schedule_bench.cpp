// schedule_bench: how close the compiler's schedules come to the matrix
// unit's ideal on single convolution layers, the comparison published
// systolic-array simulators (SCALE-Sim, ONNXim) report. Each case is a QDQ
// Conv (int8 weights per channel), compiled for its hardware and run on the
// simulated device (timing-only: the cycles are the same as with the
// arithmetic); the ideal is MACs / (array rows x cols) cycles.
//
//   schedule_bench                 # the cases of docs/compiler.md
//   schedule_bench --set sram_per_pe=1MiB --case conv56
#include <spdlog/spdlog.h>

#include <boost/program_options.hpp>
#include <iomanip>
#include <iostream>
#include <random>

#include "npusim/compiler/compile.hpp"
#include "npusim/compiler/onnx_io.hpp"
#include "npusim/driver/device.hpp"
#include "npusim/isa/cost_model.hpp"
#include "npusim/runtime/loaded_program.hpp"
#include "npusim/runtime/run_once.hpp"
#include "npusim/sim/in_process_device.hpp"

namespace po = boost::program_options;
using namespace npusim;
using compiler::DType;
using compiler::Graph;
using compiler::Node;
using compiler::Tensor;

namespace {

struct ConvCase {
  std::string name;
  int64_t channels, out_channels, size, kernel, stride, pad;
};

// The layer the issue measured (SCALE-Sim's and ONNXim's published case) and
// its smaller and larger variants.
const std::vector<ConvCase> kCases = {
    {"conv56", 64, 64, 56, 3, 1, 0},
    {"conv30", 64, 64, 30, 3, 1, 0},
    {"conv224", 64, 64, 224, 3, 1, 0},
};

// The hardware of the published comparisons: a 16x16 weight-stationary array
// at 1 GHz with 192 KiB of SRAM and 19.2 GB/s of DRAM.
isa::HwParams comparison_hw() {
  isa::HwParams hw;
  for (const char* a : {"array=16x16", "dataflow=ws", "clock=1GHz", "sram_per_pe=192KiB",
                        "dram_bandwidth=19.2GB/s"})
    isa::apply_assignment(hw, a);
  return hw;
}

Node node(const std::string& op, std::vector<std::string> in, std::vector<std::string> out) {
  Node n;
  n.name = out[0] + "_" + op;
  n.op = op;
  n.inputs = std::move(in);
  n.outputs = std::move(out);
  return n;
}

std::string qdq(Graph& g, const std::string& x, float scale) {
  g.set_constant(x + "_s", Tensor::from(DType::kFloat32, {}, std::vector<float>{scale}));
  g.set_constant(x + "_z", Tensor::from(DType::kInt8, {}, std::vector<int8_t>{0}));
  g.nodes.push_back(node("QuantizeLinear", {x, x + "_s", x + "_z"}, {x + "_q"}));
  g.nodes.push_back(node("DequantizeLinear", {x + "_q", x + "_s", x + "_z"}, {x + "_dq"}));
  return x + "_dq";
}

// x -> Q/DQ -> Conv (int8 weights per output channel) -> Q/DQ -> y.
Graph conv_model(const ConvCase& c) {
  Graph g;
  g.opset = 13;
  const compiler::Shape in{1, c.channels, c.size, c.size};
  g.inputs.push_back("x");
  g.values["x"] = {"x", DType::kFloat32, in, true, std::nullopt, "NCHW"};
  const std::string x = qdq(g, "x", 0.05f);
  std::mt19937 rng(7);
  std::vector<int8_t> w(size_t(c.out_channels * c.channels * c.kernel * c.kernel));
  for (auto& v : w) v = static_cast<int8_t>(int(rng() % 255) - 127);
  g.set_constant("w_q",
                 Tensor::from(DType::kInt8, {c.out_channels, c.channels, c.kernel, c.kernel}, w));
  g.set_constant("w_s", Tensor::from(DType::kFloat32, {c.out_channels},
                                     std::vector<float>(size_t(c.out_channels), 0.003f)));
  g.set_constant("w_z", Tensor::from(DType::kInt8, {c.out_channels},
                                     std::vector<int8_t>(size_t(c.out_channels), 0)));
  Node dq = node("DequantizeLinear", {"w_q", "w_s", "w_z"}, {"w"});
  dq.attrs["axis"] = int64_t(0);
  g.nodes.push_back(dq);
  Node conv = node("Conv", {x, "w"}, {"c"});
  conv.attrs["strides"] = std::vector<int64_t>{c.stride, c.stride};
  conv.attrs["pads"] = std::vector<int64_t>{c.pad, c.pad, c.pad, c.pad};
  g.nodes.push_back(conv);
  const std::string y = qdq(g, "c", 0.1f);
  g.nodes.push_back(node("Identity", {y}, {"y"}));
  const int64_t out = (c.size + 2 * c.pad - c.kernel) / c.stride + 1;
  g.outputs.push_back("y");
  g.values["y"] = {"y", DType::kFloat32, {1, c.out_channels, out, out}, true, std::nullopt, ""};
  // Round trip through ONNX: the checker and shape inference see the model.
  return compiler::import_onnx_bytes(compiler::export_onnx_bytes(g), c.name);
}

struct Result {
  uint64_t cycles = 0, ideal = 0, planned_dram = 0, device_dram = 0;
  std::vector<std::string> tiling;
};

uint64_t planned_dram_bytes(const isa::Program& p) {
  uint64_t bytes = 0;
  for (const auto& seg : p.segments)
    if (const auto* npu = std::get_if<isa::NpuSegment>(&seg))
      for (const auto& slot : npu->streams)
        for (const auto& code : slot)
          for (const auto& in : isa::decode(code)) bytes += isa::dma_bytes(in);
  return bytes;
}

Result run_case(const ConvCase& c, const isa::HwParams& hw) {
  compiler::CompileOptions options;
  options.hw = hw;
  const compiler::CompileResult compiled = compiler::compile(conv_model(c), options);
  driver::Device device(sim::in_process_device({hw, /*timing_only=*/true}));
  auto context = device.open("npu0pe0");
  runtime::LoadedProgram loaded(device, compiled.program, hw);
  std::vector<std::vector<uint8_t>> inputs;
  for (const auto& t : loaded.inputs()) inputs.emplace_back(t.bytes(), 0);
  const uint64_t dma_before = device.counters(0).dma_bytes;
  const runtime::RunOutcome out = runtime::run_once(*context, loaded, inputs);
  Result r;
  r.cycles = out.run.cycles();
  r.device_dram = device.counters(0).dma_bytes - dma_before;
  r.planned_dram = planned_dram_bytes(compiled.program);
  const int64_t o = (c.size + 2 * c.pad - c.kernel) / c.stride + 1;
  const uint64_t macs = uint64_t(o * o * c.out_channels * c.channels * c.kernel * c.kernel);
  r.ideal = macs / hw.macs_per_cycle();
  for (const auto& l : compiled.layers) r.tiling.push_back(l.tiling);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);
  std::vector<std::string> sets, cases;
  po::options_description opts("schedule_bench");
  opts.add_options()("help,h", "this help")("case", po::value(&cases)->multitoken(),
                                            "conv56, conv30, conv224 (default: all)")(
      "set", po::value(&sets)->multitoken(),
      "hardware parameter key=value on top of the comparison hardware (repeatable)");
  po::variables_map vm;
  po::store(po::parse_command_line(argc, argv, opts), vm);
  po::notify(vm);
  if (vm.count("help")) {
    std::cout << opts;
    return 0;
  }
  isa::HwParams hw = comparison_hw();
  for (const auto& s : sets) isa::apply_assignment(hw, s);
  std::cout << "hardware: array " << hw.array_rows << "x" << hw.array_cols << ", "
            << (hw.sram_per_pe >> 10) << " KiB SRAM, " << hw.clock_hz / 1e9 << " GHz\n\n";
  std::cout << std::left << std::setw(10) << "case" << std::right << std::setw(12) << "cycles"
            << std::setw(12) << "ideal" << std::setw(9) << "ratio" << std::setw(14)
            << "DRAM planned" << std::setw(14) << "DRAM device"
            << "\n";
  for (const ConvCase& c : kCases) {
    if (!cases.empty() && std::find(cases.begin(), cases.end(), c.name) == cases.end()) continue;
    const Result r = run_case(c, hw);
    std::cout << std::left << std::setw(10) << c.name << std::right << std::setw(12) << r.cycles
              << std::setw(12) << r.ideal << std::setw(8) << std::fixed << std::setprecision(3)
              << double(r.cycles) / double(r.ideal) << "x" << std::setw(14) << r.planned_dram
              << std::setw(14) << r.device_dram << "\n";
    for (const auto& t : r.tiling) std::cout << "    " << t << "\n";
  }
  return 0;
}
