#include "npusim/debug/layer_debug.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>
#include <variant>

#include "npusim/compiler/quantizer.hpp"
#include "npusim/debug/tensor_files.hpp"
#include "npusim/isa/program.hpp"
#include "npusim/runtime/runner.hpp"

namespace npusim::debug {
namespace {

using compiler::DType;

// Where each layer ran: node name -> "NPU" / "CPU", from the program's layer tables.
std::map<std::string, std::string> units_of(const isa::Program& p) {
  std::map<std::string, std::string> units;
  for (const auto& s : p.segments) {
    if (const auto* npu = std::get_if<isa::NpuSegment>(&s))
      for (const auto& l : npu->layers) units[l.name] = "NPU";
    if (const auto* cpu = std::get_if<isa::CpuSegment>(&s))
      for (const auto& l : cpu->layers) units[l.name] = "CPU";
  }
  return units;
}

TensorMap by_name(const std::vector<runtime::TensorDesc>& descs, const std::vector<Tensor>& ts) {
  if (descs.size() != ts.size())
    throw std::runtime_error("the model takes " + std::to_string(descs.size()) + " inputs, " +
                             std::to_string(ts.size()) + " given");
  TensorMap m;
  for (size_t i = 0; i < descs.size(); ++i) m[descs[i].name] = ts[i];
  return m;
}

// The device run: every program output by name.
TensorMap run_on_device(const std::shared_ptr<const runtime::Model>& shared,
                        const TensorMap& inputs, const DebugOptions& o, std::string* device) {
  const runtime::Model& model = *shared;
  std::vector<Tensor> in;
  for (const auto& d : model.inputs()) {
    auto it = inputs.find(d.name);
    if (it == inputs.end())
      throw std::runtime_error(model.origin() + ": the program's input \"" + d.name +
                               "\" is not an input of the ONNX model");
    in.push_back(it->second);
  }
  runtime::RunnerOptions ro;
  ro.transport = o.transport;
  ro.devices = o.devices;
  runtime::Runner runner(shared, ro);
  std::vector<Tensor> outs = runner.run(in);
  *device = runner.last_timing().device;
  TensorMap m;
  for (size_t i = 0; i < outs.size(); ++i) m[model.outputs()[i].name] = std::move(outs[i]);
  return m;
}

// The golden model run with each layer fed the device's codes of its inputs.
TensorMap run_teacher_forced(const GoldenModel& golden, const TensorMap& inputs,
                             const TensorMap& device) {
  std::vector<std::string> captured;
  for (const auto& l : golden.layers())
    if (device.count(l.tensor)) captured.push_back(l.tensor);
  std::vector<std::string> applied;
  const Graph g = force_values(golden.lowered(), captured, &applied);
  TensorMap in = inputs;
  for (const auto& t : applied) in[t] = device.at(t);
  compiler::ExecOptions eo;
  eo.keep_intermediates = true;
  eo.check_value_info = false;
  return compiler::execute(g, in, eo);
}

// The FP32 model (prepared as the quantiser prepares it, so its tensors keep
// the names the QDQ file's QuantizeLinears read) on the float inputs.
TensorMap run_fp32(const GoldenModel& golden, const std::string& path, const TensorMap& inputs,
                   const runtime::ModelOptions& mo) {
  for (const auto& [name, t] : inputs)
    if (t.dtype() != DType::kFloat32)
      throw std::runtime_error("--fp32: input \"" + name + "\" of " + golden.path() + " is " +
                               std::string(compiler::dtype_name(t.dtype())) +
                               ", the FP32 model needs float32 inputs");
  compiler::PrepareOptions po;
  po.input_shapes = mo.input_shapes;
  const Graph g = compiler::prepare_model(path, po);
  compiler::ExecOptions eo;
  eo.keep_intermediates = true;
  TensorMap values = compiler::execute(g, inputs, eo);
  values.insert(inputs.begin(), inputs.end());  // the input's QuantizeLinear reads one
  return values;
}

// A dump's tensor as codes in the layer's quantisation.
std::optional<Tensor> codes_from_dump(const DumpEntry& e, const GoldenLayer& l) {
  if (e.codes) return e.codes;
  if (e.values) return quantize(*e.values, l.scale, l.zero_point);
  return std::nullopt;
}

int first_where(const std::vector<LayerResult>& layers, bool (*differs)(const LayerResult& r)) {
  for (size_t i = 0; i < layers.size(); ++i)
    if (layers[i].captured && differs(layers[i])) return static_cast<int>(i);
  return -1;
}

}  // namespace

std::shared_ptr<const runtime::Model> capture_program(const GoldenModel& golden,
                                                      const DebugOptions& o) {
  std::shared_ptr<const runtime::Model> model;
  if (!o.program_file.empty()) {
    model = runtime::Model::load(o.program_file, o.model);
  } else {
    runtime::ModelOptions mo = o.model;
    mo.outputs = golden.qdq().outputs;
    for (const auto& t : layer_tensors(golden.layers()))
      if (std::find(mo.outputs.begin(), mo.outputs.end(), t) == mo.outputs.end())
        mo.outputs.push_back(t);
    model = runtime::Model::load(golden.path(), mo);
  }
  if (!o.save_program.empty()) isa::save_program(model->program(), o.save_program);
  return model;
}

int DebugReport::first_reference_difference() const {
  return first_where(layers, [](const LayerResult& r) { return !r.reference.identical(); });
}

int DebugReport::first_against_difference() const {
  return first_where(layers,
                     [](const LayerResult& r) { return r.against && !r.against->identical(); });
}

std::string own_name(const std::string& value) {
  return value + "#own";
}

Graph force_values(const Graph& g, const std::vector<std::string>& forced,
                   std::vector<std::string>* applied) {
  Graph f = g;
  const std::set<std::string> wanted(forced.begin(), forced.end());
  for (auto& n : f.nodes)
    for (auto& o : n.outputs) {
      if (!wanted.count(o)) continue;
      compiler::Value own = f.value(o);
      own.name = own_name(o);
      f.values[own.name] = own;
      f.inputs.push_back(o);
      if (applied) applied->push_back(o);
      o = own.name;
    }
  return f;
}

DebugReport debug_model(const GoldenModel& golden,
                        const std::shared_ptr<const runtime::Model>& model,
                        const std::vector<Tensor>& inputs, const DebugOptions& o) {
  DebugReport report;
  report.model = golden.path();
  const TensorMap in = by_name(model->inputs(), inputs);
  const TensorMap device = run_on_device(model, in, o, &report.device);
  const TensorMap ref = golden.run(in, true);
  const auto units = units_of(model->program());
  TensorMap forced, fp32;
  if (o.teacher_forced) forced = run_teacher_forced(golden, in, device);
  if (!o.fp32_model.empty()) fp32 = run_fp32(golden, o.fp32_model, in, o.model);
  std::map<std::string, DumpEntry> dump;
  if (!o.against_dir.empty()) dump = read_dump(o.against_dir, layer_tensors(golden.layers()));

  for (const auto& l : golden.layers()) {
    LayerResult r;
    r.layer = l;
    r.shape = ref.at(l.tensor).shape();
    auto d = device.find(l.tensor);
    r.captured = d != device.end();
    if (!r.captured) {
      report.layers.push_back(r);
      continue;
    }
    report.device_codes[l.tensor] = d->second;
    auto u = units.find(l.node);
    r.unit = u == units.end() ? "CPU" : u->second;
    r.reference = compare_codes(d->second, ref.at(l.tensor));
    if (auto f = forced.find(own_name(l.tensor)); f != forced.end())
      r.forced = compare_codes(d->second, f->second);
    if (auto e = dump.find(l.tensor); e != dump.end())
      if (auto codes = codes_from_dump(e->second, l)) r.against = compare_codes(d->second, *codes);
    if (auto f = fp32.find(l.source); f != fp32.end() && f->second.size() == d->second.size())
      r.fp32 = compare_floats(dequantize(d->second, l.scale, l.zero_point), f->second);
    report.layers.push_back(r);
  }
  return report;
}

}  // namespace npusim::debug
