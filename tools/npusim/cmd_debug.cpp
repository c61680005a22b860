// npusim debug: where did my int8 model go wrong? One run on the simulated
// NPU with every layer's codes captured, compared layer by layer with the
// golden model, another runtime's dump and the FP32 model (docs/debug.md).
#include <filesystem>
#include <fstream>
#include <iostream>

#include "commands.hpp"
#include "hw_options.hpp"
#include "input_options.hpp"
#include "model_options.hpp"
#include "npusim/debug/debug_report.hpp"
#include "npusim/debug/tensor_files.hpp"
#include "npusim/report/profile_html.hpp"
#include "npusim/sim/in_process_device.hpp"
#include "parse_options.hpp"
#include "run_inputs.hpp"

namespace po = boost::program_options;

namespace npusim::cli {
namespace {

struct DebugArgs {
  std::string model, devices, against = "cpu", fp32, dump, json, csv, html, program, save_program;
  std::vector<std::string> inputs, input_shapes, outputs;
  ImageOptions image;
  HwOptions hw;
  bool teacher_forced = false;
  uint32_t seed = 1;
};

DebugArgs parse(const Args& args) {
  DebugArgs a;
  po::options_description desc("debug options");
  auto add = desc.add_options();
  add("model", po::value(&a.model)->required()->value_name("MODEL.onnx"), "a QDQ (int8) model");
  add("device,d", po::value(&a.devices)->value_name("D"),
      "npu0pe0, npu0pe1, npu0pe0-1 (fused); default $NPUSIM_DEVICES or npu0pe0");
  add("input,i", po::value(&a.inputs)->composing()->value_name("SPEC"),
      "FILE.npy, an image, or random (default); NAME=SPEC per input");
  add("against", po::value(&a.against)->value_name("cpu|DIR"),
      "compare with the reference executor (cpu, default) or with .npy files named by tensor "
      "in DIR (another runtime's dump; the reference executor is compared too)");
  add("fp32", po::value(&a.fp32)->value_name("MODEL.onnx"),
      "the FP32 model the QDQ file was quantised from: SQNR and cosine per layer");
  add("teacher-forced", po::bool_switch(&a.teacher_forced),
      "also run each golden layer on the device's codes of its inputs");
  add("dump", po::value(&a.dump)->value_name("DIR"),
      "write every layer's device codes and dequantised values, and index.json");
  add("json", po::value(&a.json)->value_name("FILE"), "the table as JSON");
  add("csv", po::value(&a.csv)->value_name("FILE"), "the table as CSV");
  add("html", po::value(&a.html)->value_name("FILE"),
      "the table and a per-layer SQNR chart as one HTML page (npusim profile --accuracy puts "
      "them in the profile's report)");
  add("program", po::value(&a.program)->value_name("FILE.npub"),
      "run this program (e.g. from --save-program) instead of compiling the model");
  add("save-program", po::value(&a.save_program)->value_name("FILE.npub"),
      "write the capture program (every layer's codes as an output)");
  add("input-shape", po::value(&a.input_shapes)->composing()->value_name("NAME=DIMS"),
      "dynamic input dims");
  add("outputs", po::value(&a.outputs)->multitoken()->value_name("NAME..."),
      "cut the graph at these tensors");
  add("seed", po::value(&a.seed)->value_name("N"), "random inputs' seed (1)");
  add_image_options(desc, a.image);
  add_hw_options(desc, a.hw);
  po::positional_options_description pos;
  pos.add("model", 1);
  parse_options(args, "npusim debug MODEL.onnx [-i INPUT] [options]", desc, pos);
  if (std::filesystem::path(a.model).extension() != ".onnx")
    throw UsageError(a.model +
                     ": debug takes the QDQ .onnx model (the golden model is its "
                     "graph); give a .npub made from it with --program");
  if (a.against != "cpu" && !std::filesystem::is_directory(a.against))
    throw UsageError("--against " + a.against + ": neither cpu nor a folder");
  return a;
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out.flush()) throw std::runtime_error("cannot write " + path);
}

std::vector<debug::DumpEntry> dump_entries(const debug::DebugReport& r) {
  std::vector<debug::DumpEntry> entries;
  for (const auto& l : r.layers) {
    auto it = r.device_codes.find(l.layer.tensor);
    if (it == r.device_codes.end()) continue;
    debug::DumpEntry e;
    e.name = l.layer.tensor;
    e.codes = it->second;
    e.values = debug::dequantize(it->second, l.layer.scale, l.layer.zero_point);
    e.scale = l.layer.scale;
    e.zero_point = l.layer.zero_point;
    entries.push_back(std::move(e));
  }
  return entries;
}

}  // namespace

int cmd_debug(const Args& args) {
  const DebugArgs a = parse(args);
  const isa::HwParams hw = resolve_hw(a.hw);
  debug::DebugOptions o;
  o.model = model_options(hw, a.devices, a.input_shapes);
  o.devices = a.devices;
  o.program_file = a.program;
  o.save_program = a.save_program;
  o.teacher_forced = a.teacher_forced;
  o.fp32_model = a.fp32;
  if (a.against != "cpu") o.against_dir = a.against;
  debug::GoldenOptions go;
  go.input_shapes = o.model.input_shapes;
  go.outputs = split_names(a.outputs);
  const debug::GoldenModel golden = debug::GoldenModel::load(a.model, go);
  const auto program = debug::capture_program(golden, o);
  const auto inputs = model_inputs(*program, a.inputs, a.image, a.seed);
  o.transport = sim::in_process_device({hw, false});
  const debug::DebugReport report = debug::debug_model(golden, program, inputs, o);

  debug::ReportContext c;
  c.against = o.against_dir.empty() ? "reference executor (the golden model)" : o.against_dir;
  c.against_dump = !o.against_dir.empty();
  std::cout << debug::report_text(report, c);
  if (!a.dump.empty()) {
    const auto entries = dump_entries(report);
    debug::write_dump(a.dump, entries);
    std::cout << "dumped     " << entries.size() << " layers to " << a.dump
              << " (index.json maps tensor names to files)\n";
  }
  if (!a.json.empty()) write_text(a.json, debug::report_json(report, c));
  if (!a.csv.empty()) write_text(a.csv, debug::report_csv(report));
  if (!a.html.empty())
    write_text(a.html, report::profile_html(
                           {{"model", a.model},
                            {"accuracy", nlohmann::json::parse(debug::report_json(report, c))}}));
  return 0;
}

}  // namespace npusim::cli
