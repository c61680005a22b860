// npusim compile: an int8 (QDQ) ONNX model to a .npub program, with the
// time of each stage, where every op runs and why, and SRAM/DRAM use.
#include <chrono>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>

#include "commands.hpp"
#include "hw_options.hpp"
#include "input_options.hpp"
#include "npusim/compiler/compile.hpp"
#include "npusim/compiler/graph_dot.hpp"
#include "npusim/compiler/onnx_io.hpp"
#include "npusim/isa/assembler.hpp"
#include "parse_options.hpp"
#include "program_files.hpp"

namespace po = boost::program_options;

namespace npusim::cli {
namespace {

std::string kib(uint64_t bytes) {
  std::ostringstream o;
  o << std::fixed << std::setprecision(1) << double(bytes) / 1024.0;
  return o.str();
}

// Per NPU layer: DRAM bytes its DMA moves, SRAM resident and working, the schedule.
void print_layers(const compiler::CompileResult& r) {
  if (r.layers.empty()) return;
  if (r.batch > 1)
    std::cout << "layers     DRAM traffic " << kib(r.dram_traffic) << " KiB per batch of "
              << r.batch << " (" << kib(r.dram_traffic / uint64_t(r.batch))
              << " KiB per image; KiB: DRAM moved per batch, SRAM resident + working per PE)\n";
  else
    std::cout << "layers     DRAM traffic " << kib(r.dram_traffic)
              << " KiB per inference (KiB: DRAM moved, SRAM resident + working per PE)\n";
  for (const auto& l : r.layers)
    std::cout << "  " << std::right << std::setw(10) << kib(l.dram_bytes) << std::setw(10)
              << kib(l.sram_resident) << " +" << std::setw(9) << kib(l.sram_work) << "  "
              << l.tiling << "\n";
}

void print_report(const compiler::CompileResult& r, const std::string& output) {
  std::cout << "stages\n";
  for (const auto& s : r.stages)
    std::cout << "  " << std::left << std::setw(26) << s.stage << std::right << std::fixed
              << std::setprecision(1) << std::setw(9) << s.ms << " ms\n";
  int npu = 0, cpu = 0;
  for (const auto& p : r.placement) (p.unit == "NPU" ? npu : cpu)++;
  std::cout << "placement  NPU " << npu << " ops, CPU " << cpu << " ops\n";
  for (const auto& p : r.placement)
    std::cout << "  " << p.unit << "  " << p.node << (p.reason.empty() ? "" : "  -- " + p.reason)
              << "\n";
  std::cout << "memory     SRAM peak " << r.sram_peak << " bytes per PE, DRAM weights "
            << r.dram_weights << " bytes, activations " << r.dram_activations << " bytes\n";
  print_layers(r);
  std::cout << "wrote      " << output << "\n";
}

// Cutting a quantised model at the float output of an op, before its
// QuantizeLinear, leaves the op without the Q it needs to lower: it runs on
// the CPU. Cutting the FP32 model before quantising keeps it on the NPU.
void warn_float_cuts(const compiler::Graph& g, const std::vector<std::string>& outputs) {
  for (const auto& o : outputs) {
    const int p = g.producer(o);
    if (p < 0 || g.nodes[p].op == "DequantizeLinear") continue;
    bool quantised_next = false;
    for (int c : g.consumers(o))
      quantised_next = quantised_next || g.nodes[c].op == "QuantizeLinear";
    if (!quantised_next) continue;
    std::cerr << "npusim compile: warning: --outputs " << o << " is the float output of "
              << g.nodes[p].describe() << " before its QuantizeLinear; cut here, the "
              << g.nodes[p].op << " runs on the CPU. Cut the FP32 model instead: npusim quantize "
              << "FP32.onnx --outputs " << o << " ...\n";
  }
}

}  // namespace

int cmd_compile(const Args& args) {
  HwOptions hw_options;
  std::string model, output, target = "single", outputs, dump_asm, dot;
  std::vector<std::string> input_shapes;
  int batch = 1;
  po::options_description desc("compile options");
  desc.add_options()("model", po::value(&model)->required()->value_name("MODEL.onnx"),
                     "quantised (QDQ) ONNX model")(
      "output,o", po::value(&output)->value_name("OUT.npub"),
      "program to write (default: MODEL.npub beside the model)")(
      "target", po::value(&target)->value_name("single|fused"),
      "single: one PE (runs on either); fused: both PEs split every layer")(
      "input-shape", po::value(&input_shapes)->composing()->value_name("NAME=DIMS"),
      "static shape for a dynamic input, e.g. x=1x3x320x320")(
      "batch,b", po::value(&batch)->value_name("N"),
      "images per request, 1 ... 256: the layers run image after image against weights "
      "loaded once per batch (docs/compiler.md, \"Batches\")")(
      "outputs", po::value(&outputs)->value_name("A,B,..."),
      "cut the graph at these tensors (compile the subgraph up to them)")(
      "dump-asm", po::value(&dump_asm)->value_name("FILE"), "write the NPU code as assembly")(
      "dot", po::value(&dot)->value_name("FILE"), "write the placed graph as Graphviz DOT");
  add_hw_options(desc, hw_options);
  po::positional_options_description pos;
  pos.add("model", 1);
  parse_options(args, "npusim compile MODEL.onnx [-o OUT.npub] [options]", desc, pos);
  if (output.empty()) output = beside(model, ".npub");
  if (target != "single" && target != "fused") throw UsageError("--target must be single or fused");

  compiler::CompileOptions options;
  options.hw = resolve_hw(hw_options);
  options.target = target == "fused" ? isa::Mode::kFused : isa::Mode::kSingle;
  options.outputs = split_names({outputs});
  options.batch = checked_batch(batch);
  compiler::ImportOptions import;
  import.batch = batch;
  for (const auto& spec : input_shapes) import.input_shapes.insert(parse_input_shape(spec));

  const auto start = std::chrono::steady_clock::now();
  compiler::Graph graph = compiler::import_onnx(model, import);
  warn_float_cuts(graph, options.outputs);
  const double import_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  compiler::CompileResult r = compiler::compile(std::move(graph), options);
  r.stages.insert(r.stages.begin(), {"import + shape inference", import_ms});
  isa::save_program(r.program, output);
  if (!dump_asm.empty()) write_text_file(dump_asm, isa::disassemble(r.program));
  if (!dot.empty()) {
    std::map<std::string, std::string> unit_of;
    for (const auto& p : r.placement) unit_of[p.node] = p.unit;
    write_text_file(dot, compiler::to_dot(r.graph, unit_of));
  }
  print_report(r, output);
  return 0;
}

}  // namespace npusim::cli
