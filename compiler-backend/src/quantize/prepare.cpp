// prepare_model / prepare_graph (quantizer.hpp): the "optimize" step before
// calibration: constant folding, opset conversion (import_onnx with
// min_opset), affine folding.
#include "npusim/compiler/executor.hpp"
#include "npusim/compiler/npu_ops.hpp"
#include "npusim/compiler/onnx_io.hpp"
#include "npusim/compiler/quantizer.hpp"
#include "passes.hpp"

namespace npusim::compiler {
namespace {

void refuse_quantized(const Graph& g, const std::string& origin) {
  for (const auto& n : g.nodes)
    if (n.op == "QuantizeLinear" || n.op == "DequantizeLinear" || n.op.rfind("QLinear", 0) == 0 ||
        n.op == "ConvInteger" || n.op == "MatMulInteger" || n.domain == kNpuDomain)
      throw CompileError(origin + ": the model is already quantised (" + n.describe() +
                         "); give the FP32 model");
}

// Outputs whose shape import could not infer (computed by shape arithmetic
// that folding has since made constant) get it from one run on zeros: the
// checker refuses graph outputs without a shape.
void record_output_shapes(Graph& g) {
  bool unknown = false;
  for (const auto& o : g.outputs) unknown = unknown || !g.value(o).rank_known;
  if (!unknown) return;
  TensorMap zeros;
  for (const auto& in : g.inputs) zeros[in] = Tensor(g.value(in).dtype, g.value(in).shape);
  ExecOptions options;
  options.check_value_info = false;
  for (const auto& [name, t] : execute(g, zeros, options)) {
    Value& v = g.value(name);
    v.dtype = t.dtype();
    v.shape = t.shape();
    v.rank_known = true;
  }
}

// Makes `outputs` the graph's outputs and drops what they do not need.
void cut_at(Graph& g, const std::vector<std::string>& outputs, const std::string& origin) {
  for (const auto& o : outputs)
    if (g.producer(o) < 0)
      throw CompileError(origin + ": --outputs names \"" + o +
                         "\", which no node of the model produces");
  g.outputs = outputs;
  g.prune();
}

// An ONNX round trip: the checker validates the graph and shape inference
// records every value's shape.
Graph reimport(Graph g, const std::string& origin, int64_t min_opset = 0) {
  record_output_shapes(g);
  ImportOptions o;
  o.min_opset = min_opset;
  return import_onnx_bytes(export_onnx_bytes(g), origin, o);
}

}  // namespace

Graph prepare_graph(Graph g, const std::string& origin, const PrepareOptions& options,
                    std::vector<std::string>* notes) {
  auto note = [&](const std::string& s) {
    if (notes) notes->push_back(s);
  };
  refuse_quantized(g, origin);
  if (!options.outputs.empty()) {
    const size_t before = g.nodes.size();
    cut_at(g, options.outputs, origin);
    note("cut at " + std::to_string(options.outputs.size()) + " output(s): kept " +
         std::to_string(g.nodes.size()) + " of " + std::to_string(before) + " nodes");
  }
  try {
    quant::check_inputs(g);
  } catch (const CompileError& e) {
    throw CompileError(origin + ": " + e.what());
  }
  if (const int n = quant::fold_constants(g))
    note("folded " + std::to_string(n) + " constant nodes");
  if (const int n = quant::remove_identities(g))
    note("removed " + std::to_string(n) + " Identity/Dropout nodes");
  g.prune();
  if (g.opset < options.opset) {
    note("converted opset " + std::to_string(g.opset) + " to " + std::to_string(options.opset));
    g = reimport(g, origin, options.opset);
    quant::fold_constants(g);  // adapters may add constant subgraphs
  }
  if (options.fold_affine) {
    std::string folded;
    for (const auto& [op, n] : quant::fold_affine(g))
      folded += (folded.empty() ? "" : ", ") + std::to_string(n) + " " + op;
    if (!folded.empty()) note("folded " + folded + " into convolutions");
  }
  g.prune();
  return reimport(g, origin);
}

Graph prepare_model(const std::string& path, const PrepareOptions& options,
                    std::vector<std::string>* notes) {
  ImportOptions o;
  o.input_shapes = options.input_shapes;
  return prepare_graph(import_onnx(path, o), path, options, notes);
}

}  // namespace npusim::compiler
