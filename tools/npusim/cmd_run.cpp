// npusim run: one inference of a model (ONNX, compiled through the cache,
// or .npub) on the simulated device through the runtime, with an output
// summary, the simulated latency and where the time went.
#include <algorithm>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <map>
#include <optional>
#include <random>

#include "commands.hpp"
#include "cpu_run.hpp"
#include "fault_options.hpp"
#include "hw_options.hpp"
#include "input_options.hpp"
#include "model_options.hpp"
#include "npusim/common/files.hpp"
#include "npusim/common/limits.hpp"
#include "npusim/debug/tensor_files.hpp"
#include "npusim/runtime/device_list.hpp"
#include "npusim/runtime/image_input.hpp"
#include "npusim/runtime/runner.hpp"
#include "npusim/sim/in_process_device.hpp"
#include "parse_options.hpp"
#include "run_inputs.hpp"
#include "trace_options.hpp"

namespace po = boost::program_options;

namespace npusim::cli {
namespace {

using runtime::Tensor;
using runtime::TensorDesc;

struct RunArgs {
  std::string model, devices, target, output_dir, output;
  std::vector<std::string> inputs, input_shapes, outputs;
  ImageOptions image;
  HwOptions hw;
  FaultOptions faults;
  TraceOptions trace;
  bool timing_only = false;
  uint32_t seed = 1;
  int batch = -1;  // -b; not given: one image (ONNX) or the program's batch (.npub)
};

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

Tensor random_tensor(const TensorDesc& d, uint32_t seed) {
  std::mt19937 rng(seed);
  Tensor t(d.dtype, d.shape);
  if (d.dtype == compiler::DType::kFloat32) {
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    for (float& v : t.as<float>()) v = u(rng);
  } else {
    for (uint8_t& b : t.raw()) b = static_cast<uint8_t>(rng());
  }
  return t;
}

// One input from "random", FILE.npy or an image file.
Tensor load_input(const TensorDesc& d, const std::string& spec, const RunArgs& a) {
  if (spec == "random") return random_tensor(d, a.seed);
  Tensor t;
  if (ends_with(spec, ".npy")) {
    t = compiler::read_npy(spec, compiler::NpyFloat64::kRefuse);
  } else {
    const compiler::ImagePreprocess pp = to_preprocess(a.image);
    if (d.quantized() && runtime::rescales_pixels(pp))
      std::cerr << "npusim run: note: input \"" << d.name << "\" takes "
                << compiler::dtype_name(d.dtype)
                << " pixels (the quantiser folded the preprocessing into its scale): "
                   "--scale/--mean/--std do not apply\n";
    t = runtime::image_input(d, spec, pp);
  }
  if (t.dtype() == d.dtype && !t.shape().empty() && t.shape().size() == d.shape.size() &&
      t.shape()[0] != d.shape[0] &&
      std::equal(t.shape().begin() + 1, t.shape().end(), d.shape.begin() + 1))
    throw UsageError(spec + ": input \"" + d.name + "\" takes a batch of " +
                     std::to_string(d.shape[0]) + ", the file holds " +
                     std::to_string(t.shape()[0]) + " images: run with -b " +
                     std::to_string(t.shape()[0]) +
                     " (an ONNX model is compiled for it; a .npub "
                     "must have been compiled with --batch " +
                     std::to_string(t.shape()[0]) + ")");
  if (t.dtype() != d.dtype || t.shape() != d.shape)
    throw UsageError(
        spec + ": input \"" + d.name + "\" needs " + std::string(compiler::dtype_name(d.dtype)) +
        " " + compiler::shape_string(d.shape) + ", the file gives " +
        std::string(compiler::dtype_name(t.dtype())) + " " + compiler::shape_string(t.shape()));
  return t;
}

std::string input_names(const runtime::Model& m) {
  std::string names;
  for (const auto& d : m.inputs()) names += (names.empty() ? "" : ", ") + d.name;
  return names;
}

// -i values: NAME=SPEC for a named input, or one unnamed SPEC for every
// input not named. Each input is given at most once.
std::vector<Tensor> gather_inputs(const runtime::Model& m, const RunArgs& a) {
  std::map<std::string, std::string> named;
  std::optional<std::string> unnamed;
  for (const auto& s : a.inputs) {
    const auto eq = s.find('=');
    const std::string name = eq == std::string::npos ? "" : s.substr(0, eq);
    if (!name.empty() && m.find_input(name)) {
      if (!named.emplace(name, s.substr(eq + 1)).second)
        throw UsageError("-i gives input \"" + name + "\" twice");
    } else if (!name.empty() && !std::filesystem::exists(s)) {
      throw UsageError("the model has no input named \"" + limits::echo(name) +
                       "\" (inputs: " + input_names(m) + ")");
    } else if (unnamed) {
      throw UsageError("-i is given twice without a name (\"" + limits::echo(*unnamed) +
                       "\" and \"" + limits::echo(s) +
                       "\"): name each input with NAME=SPEC (inputs: " + input_names(m) + ")");
    } else {
      unnamed = s;
    }
  }
  if (unnamed && named.size() == m.inputs().size())
    throw UsageError("-i " + limits::echo(*unnamed) + " is not used: every input is named");
  std::vector<Tensor> out;
  for (const auto& d : m.inputs())
    out.push_back(
        load_input(d, named.count(d.name) ? named[d.name] : unnamed.value_or("random"), a));
  return out;
}

std::string us(uint64_t ps) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(1) << double(ps) / 1e6 << " us";
  return s.str();
}

void print_summary(const runtime::Model& m, const std::vector<Tensor>& outs) {
  for (size_t i = 0; i < outs.size(); ++i) {
    const Tensor& t = outs[i];
    double lo = 0, hi = 0, sum = 0;
    for (int64_t k = 0; k < t.size(); ++k) {
      const double v = t.at(k);
      lo = k ? std::min(lo, v) : v;
      hi = k ? std::max(hi, v) : v;
      sum += v;
    }
    std::cout << "  " << std::left << std::setw(28) << m.outputs()[i].name << std::right << " "
              << compiler::dtype_name(t.dtype()) << " " << compiler::shape_string(t.shape())
              << std::setprecision(4) << "  min " << lo << "  max " << hi << "  mean "
              << (t.size() ? sum / double(t.size()) : 0.0) << "\n";
  }
}

void print_time(const runtime::RequestTiming& t, const runtime::SessionStats& s) {
  const uint64_t wait = t.device_ps - (t.h2d_ps + t.compute_ps + t.d2h_ps);
  std::cout << "latency    " << us(t.latency_ps()) << " (simulated)\n"
            << "  host     " << us(t.host_ps) << "  (input checks, CPU segments, staging, driver)\n"
            << "  h2d      " << us(t.h2d_ps) << "\n"
            << "  compute  " << us(t.compute_ps) << "\n"
            << "  d2h      " << us(t.d2h_ps) << "\n"
            << "  other    " << us(wait) << "  (completion records, queue hand-offs)\n";
  for (const auto& pe : s.pes) {
    if (!pe.cycles) continue;
    std::cout << std::fixed << std::setprecision(1) << pe.pe << "    NPU% " << pe.npu_percent()
              << "  Comp% " << pe.comp_percent() << "  DMA bytes " << pe.dma_bytes << "\n";
  }
}

RunArgs parse(const Args& args) {
  RunArgs a;
  po::options_description desc("run options");
  auto add = desc.add_options();
  add("model", po::value(&a.model)->required()->value_name("MODEL"), ".onnx (int8 QDQ) or .npub");
  add("device,d", po::value(&a.devices)->value_name("D"),
      "npu0pe0, npu0pe1, npu0pe0-1 (fused), or cpu (the reference executor, the golden "
      "model); default $NPUSIM_DEVICES or npu0pe0");
  add("input,i", po::value(&a.inputs)->composing()->value_name("SPEC"),
      "FILE.npy, an image, or random (default); NAME=SPEC per input. Images feed uint8 "
      "inputs their raw pixels");
  add("output-dir", po::value(&a.output_dir)->value_name("DIR"), "write <output name>.npy files");
  add("output,o", po::value(&a.output)->value_name("FILE.npy"), "single-output models: the file");
  add("input-shape", po::value(&a.input_shapes)->composing()->value_name("NAME=DIMS"),
      "ONNX: dynamic input dims");
  add("outputs", po::value(&a.outputs)->multitoken()->value_name("NAME..."),
      "ONNX: cut the graph at these tensors");
  add("batch,b", po::value(&a.batch)->value_name("N"),
      "images per request, 1 ... 256: ONNX is compiled for the batch, a .npub must have "
      "been; inputs lead with N (a .npy of N images)");
  add("timing-only", po::bool_switch(&a.timing_only), "skip the arithmetic (same time)");
  add("seed", po::value(&a.seed)->value_name("N"), "random inputs' and --inject random's seed (1)");
  add_fault_options(desc, a.faults);
  add_trace_options(desc, a.trace);
  add_image_options(desc, a.image);
  add_hw_options(desc, a.hw);
  po::positional_options_description pos;
  pos.add("model", 1);
  parse_options(args, "npusim run MODEL [options]", desc, pos);
  to_preprocess(a.image);  // bad image options are refused even when no image is given
  if (a.batch != -1) checked_batch(a.batch);
  return a;
}

// -o FILE, --output-dir DIR: one .npy per output, named by the output (any
// name: long ones get a safe file name) and listed in DIR/index.json.
void write_outputs(const runtime::Model& m, const std::vector<Tensor>& outputs, const RunArgs& a) {
  if (!a.output.empty()) compiler::write_npy(a.output, outputs[0]);
  if (a.output_dir.empty()) return;
  std::vector<debug::NamedFile> files;
  for (size_t i = 0; i < outputs.size(); ++i) files.push_back({m.outputs()[i].name, &outputs[i]});
  debug::write_named_files(a.output_dir, files);
  std::cout << "wrote      " << outputs.size() << " output(s) to " << a.output_dir << "\n";
}

// -d cpu: the golden model on the host, with the device run's inputs and outputs.
int run_reference(const RunArgs& a, const isa::HwParams& hw) {
  if (a.timing_only) throw UsageError("--timing-only is for the simulated device, not -d cpu");
  if (!a.trace.file.empty())
    throw UsageError("--trace-instructions is for the simulated device, not -d cpu");
  runtime::ModelOptions mo = model_options(hw, "", a.input_shapes, std::max(0, a.batch));
  mo.outputs = split_names(a.outputs);
  const auto model = runtime::Model::load(a.model, mo);
  if (!a.output.empty() && model->outputs().size() != 1)
    throw UsageError("--output is for single-output models; this one has " +
                     std::to_string(model->outputs().size()) + " outputs: use --output-dir");
  double ms = 0;
  const std::vector<Tensor> outputs =
      run_on_cpu(a.model, *model, gather_inputs(*model, a), mo, &ms);
  std::cout << "model      " << a.model << "\ndevice     cpu (reference executor: the golden model)"
            << "\noutputs\n";
  print_summary(*model, outputs);
  std::cout << "host time  " << std::fixed << std::setprecision(1) << ms << " ms (wall clock)\n";
  write_outputs(*model, outputs, a);
  return 0;
}

}  // namespace

std::vector<Tensor> model_inputs(const runtime::Model& model, const std::vector<std::string>& specs,
                                 const ImageOptions& image, uint32_t seed) {
  RunArgs a;
  a.inputs = specs;
  a.image = image;
  a.seed = seed;
  return gather_inputs(model, a);
}

int cmd_run(const Args& args) {
  const RunArgs a = parse(args);
  const runtime::FaultInjection inject = fault_injection(a.faults, a.seed);
  const isa::HwParams hw = resolve_hw(a.hw);
  if (!a.output.empty()) files::check_writable(a.output);
  if (is_cpu_device(a.devices)) return run_reference(a, hw);
  runtime::ModelOptions mo = model_options(hw, a.devices, a.input_shapes, std::max(0, a.batch));
  mo.outputs = split_names(a.outputs);
  const auto model = runtime::Model::load(a.model, mo);

  runtime::RunnerOptions ro;
  ro.transport = sim::in_process_device({hw, a.timing_only});
  ro.devices = a.devices;
  ro.inject = inject;
  ro.retries = a.faults.retries;
  runtime::Runner runner(model, ro);
  if (!a.output.empty() && model->outputs().size() != 1)
    throw UsageError("--output is for single-output models; this one has " +
                     std::to_string(model->outputs().size()) + " outputs: use --output-dir");
  const std::vector<Tensor> inputs = gather_inputs(*model, a);
  auto recording = start_trace(a.trace, a.timing_only);
  const std::vector<Tensor> outputs = runner.run(inputs);
  if (const runtime::SessionStats s = runner.stats(); s.retried > 0)
    std::cout << "fault      " << s.retried << " retried after device faults (" << to_string(inject)
              << "), recovered\n";

  std::cout << "model      " << a.model;
  if (model->compiled_from_onnx())
    std::cout << (model->cache_hit()
                      ? "  (compiled: from the cache)"
                      : "  (compiled in " + std::to_string(int(model->compile_ms())) + " ms)");
  std::cout << "\ndevice     " << runner.last_timing().device << " (" << hw.name << ", "
            << hw.array_rows << "x" << hw.array_cols << " array"
            << (a.timing_only ? ", timing-only" : "") << ")\noutputs\n";
  print_summary(*model, outputs);
  print_time(runner.last_timing(), runner.stats());
  finish_trace(recording, a.trace);
  write_outputs(*model, outputs, a);
  return 0;
}

}  // namespace npusim::cli
