#include "npusim/debug/golden_model.hpp"

#include <algorithm>
#include <set>

#include "npusim/compiler/lower_quantized.hpp"
#include "npusim/compiler/onnx_io.hpp"

namespace npusim::debug {
namespace {

// A scalar constant of `g` as a double (QuantizeLinear's scale and zero point).
double scalar(const Graph& g, const std::string& name, double fallback) {
  if (name.empty() || !g.is_constant(name)) return fallback;
  const Tensor& t = *g.value(name).constant;
  return t.size() == 1 ? t.at(0) : fallback;
}

// Every per-tensor QuantizeLinear of the QDQ graph defines a layer's codes.
std::vector<GoldenLayer> code_tensors(const Graph& qdq) {
  std::vector<GoldenLayer> layers;
  for (const auto& n : qdq.nodes) {
    if (n.op != "QuantizeLinear" || n.inputs.size() < 2) continue;
    const Tensor* s = qdq.is_constant(n.inputs[1]) ? &*qdq.value(n.inputs[1]).constant : nullptr;
    if (!s || s->size() != 1) continue;  // per-axis activations are not the NPU's
    GoldenLayer l;
    l.tensor = n.outputs.at(0);
    l.source = n.inputs[0];
    l.scale = static_cast<float>(s->at(0));
    l.zero_point = static_cast<int32_t>(scalar(qdq, n.inputs.size() > 2 ? n.inputs[2] : "", 0));
    layers.push_back(l);
  }
  return layers;
}

// The node of the lowered graph that writes each code tensor, in its order.
std::vector<GoldenLayer> in_lowered_order(const Graph& lowered, std::vector<GoldenLayer> codes) {
  std::vector<GoldenLayer> layers;
  for (const auto& n : lowered.nodes)
    for (const auto& out : n.outputs) {
      auto it = std::find_if(codes.begin(), codes.end(),
                             [&](const GoldenLayer& l) { return l.tensor == out; });
      if (it == codes.end()) continue;
      it->node = n.name.empty() ? out : n.name;
      it->op = n.op;
      layers.push_back(*it);
    }
  return layers;
}

runtime::TensorDesc describe(const Graph& g, const std::string& name) {
  const compiler::Value& v = g.value(name);
  runtime::TensorDesc d;
  d.name = name;
  d.shape = v.shape;
  d.dtype = v.dtype;
  d.layout = v.layout.empty() ? (v.shape.size() == 4 ? "NCHW" : "") : v.layout;
  return d;
}

}  // namespace

GoldenModel GoldenModel::load(const std::string& onnx_path, const GoldenOptions& options) {
  GoldenModel m;
  m.path_ = onnx_path;
  compiler::ImportOptions io;
  io.input_shapes = options.input_shapes;
  m.qdq_ = compiler::import_onnx(onnx_path, io);
  if (!options.outputs.empty()) {
    for (const auto& o : options.outputs)
      if (!m.qdq_.has_value(o) || (m.qdq_.producer(o) < 0 && !m.qdq_.is_constant(o)))
        throw compiler::CompileError(onnx_path + ": --outputs names \"" + o +
                                     "\", which no node of the model produces");
    m.qdq_.outputs = options.outputs;
    m.qdq_.prune();
  }
  for (const auto& in : m.qdq_.inputs)
    if (!m.qdq_.value(in).rank_known)
      throw compiler::CompileError(onnx_path + ": input \"" + in +
                                   "\" has a dynamic shape: give it with --input-shape " + in +
                                   "=1x3xHxW");
  m.lowered_ = m.qdq_;
  compiler::lower_quantized(m.lowered_);
  m.layers_ = in_lowered_order(m.lowered_, code_tensors(m.qdq_));
  return m;
}

std::vector<runtime::TensorDesc> GoldenModel::inputs() const {
  std::vector<runtime::TensorDesc> v;
  for (const auto& name : lowered_.inputs) v.push_back(describe(lowered_, name));
  return v;
}

std::vector<runtime::TensorDesc> GoldenModel::outputs() const {
  std::vector<runtime::TensorDesc> v;
  for (const auto& name : lowered_.outputs) v.push_back(describe(lowered_, name));
  return v;
}

TensorMap GoldenModel::run(const TensorMap& inputs, bool every_layer) const {
  compiler::ExecOptions eo;
  eo.keep_intermediates = every_layer;
  TensorMap all = compiler::execute(lowered_, inputs, eo);
  if (!every_layer) return all;
  std::set<std::string> keep(lowered_.outputs.begin(), lowered_.outputs.end());
  for (const auto& l : layers_) keep.insert(l.tensor);
  TensorMap out;
  for (auto& [name, t] : all)
    if (keep.count(name)) out[name] = std::move(t);
  return out;
}

std::vector<std::string> layer_tensors(const std::vector<GoldenLayer>& layers) {
  std::vector<std::string> v;
  for (const auto& l : layers) v.push_back(l.tensor);
  return v;
}

}  // namespace npusim::debug
