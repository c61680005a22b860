// Per-layer quantisation sensitivity (sensitivity.hpp): the FP32 model with
// one activation or one node's weights quantised, against the FP32 model.
#include "npusim/compiler/sensitivity.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>

#include "passes.hpp"

namespace npusim::compiler {
namespace {

// A row to measure and how to build its model (built one at a time: each is
// a copy of the graph with its constants).
struct Candidate {
  SensitivityRow row;
  std::function<Graph()> build;
};

std::string producer_op(const Graph& g, const std::string& value) {
  const int p = g.producer(value);
  return p < 0 ? "input" : g.nodes[p].op;
}

SensitivityRow new_row(const Graph& g, const std::string& kind, const std::string& name) {
  SensitivityRow row;
  row.kind = kind;
  row.name = name;
  row.op = producer_op(g, name);
  return row;
}

// Per output, the error power of `test` against `ref`, added over inputs.
void add_errors(const Graph& g, const TensorMap& test, const std::vector<Tensor>& ref,
                std::vector<double>& err2) {
  for (size_t i = 0; i < g.outputs.size(); ++i) {
    const auto r = ref[i].as<float>(), t = test.at(g.outputs[i]).as<float>();
    for (size_t k = 0; k < r.size(); ++k) err2[i] += (double(t[k]) - r[k]) * (double(t[k]) - r[k]);
  }
}

void finish_row(const Graph& fp32, const std::vector<double>& ref2, const std::vector<double>& err2,
                SensitivityRow& row) {
  row.sqnr_db = INFINITY;
  for (size_t i = 0; i < ref2.size(); ++i) {
    const double db = err2[i] == 0 ? INFINITY : 10.0 * std::log10(ref2[i] / err2[i]);
    row.outputs_db.push_back(db);
    if (row.worst_output.empty() || db < row.sqnr_db) {
      row.sqnr_db = db;
      row.worst_output = fp32.outputs[i];
    }
  }
}

std::vector<Candidate> candidates(const Graph& fp32, const QuantPlan& plan, const QuantizedModel& q,
                                  const SensitivityOptions& o) {
  std::vector<Candidate> out;
  if (o.activations)
    for (const ActivationQuant& a : q.activations) {
      if (!a.shared_with.empty()) continue;
      SensitivityRow row = new_row(fp32, "activation", a.tensor);
      row.range = a.range;
      row.scale = a.scale;
      row.zero_point = a.zero_point;
      out.push_back({row, [&fp32, &a] { return with_activation_quantized(fp32, a); }});
    }
  if (o.weights)
    for (const WeightUse& w : plan.weights) {
      SensitivityRow row = new_row(fp32, "weights", w.node);
      out.push_back({row, [&fp32, &q, &w] { return weights_only_model(fp32, q.graph, w.node); }});
    }
  return out;
}

}  // namespace

Graph with_activation_quantized(const Graph& fp32, const ActivationQuant& q) {
  Graph g = fp32;
  const std::string& v = q.tensor;
  const Value like = g.value(v);
  auto add_value = [&](const std::string& base, DType t) {
    Value val = like;
    val.name = quant::unique_name(g, base);
    val.dtype = t;
    val.constant.reset();
    g.values[val.name] = val;
    return val.name;
  };
  const std::string sn = quant::unique_name(g, v + "_scale");
  g.set_constant(sn, Tensor::from(DType::kFloat32, {}, std::vector<float>{q.scale}));
  const std::string zn = quant::unique_name(g, v + "_zero_point");
  Tensor z(DType::kInt8, Shape{});
  z.as<int8_t>()[0] = static_cast<int8_t>(q.zero_point);
  g.set_constant(zn, z);
  const std::string qv = add_value(v + "_quantized", DType::kInt8);
  const std::string dq = add_value(v + "_dequantized", DType::kFloat32);
  for (auto& n : g.nodes) std::replace(n.inputs.begin(), n.inputs.end(), v, dq);
  std::replace(g.outputs.begin(), g.outputs.end(), v, dq);
  Node qn, dn;
  qn.name = qv;
  qn.op = "QuantizeLinear";
  qn.inputs = {v, sn, zn};
  qn.outputs = {qv};
  dn.name = dq;
  dn.op = "DequantizeLinear";
  dn.inputs = {qv, sn, zn};
  dn.outputs = {dq};
  g.nodes.push_back(qn);
  g.nodes.push_back(dn);
  g.sort();
  return g;
}

std::vector<SensitivityRow> quantization_sensitivity(const Graph& fp32, const QuantPlan& plan,
                                                     const QuantizedModel& q,
                                                     const std::vector<TensorMap>& inputs,
                                                     const SensitivityOptions& options) {
  // The FP32 outputs once per input, and their power per output.
  std::vector<std::vector<Tensor>> ref;
  std::vector<double> ref2(fp32.outputs.size(), 0.0);
  for (const TensorMap& in : inputs) {
    const TensorMap out = execute(fp32, in);
    ref.emplace_back();
    for (size_t i = 0; i < fp32.outputs.size(); ++i) {
      const Tensor& t = out.at(fp32.outputs[i]);
      if (t.dtype() != DType::kFloat32)
        throw CompileError("sensitivity: output '" + fp32.outputs[i] + "' is not float");
      for (float x : t.as<float>()) ref2[i] += double(x) * x;
      ref.back().push_back(t);
    }
  }
  std::vector<Candidate> cands = candidates(fp32, plan, q, options);
  std::vector<SensitivityRow> rows;
  for (size_t c = 0; c < cands.size(); ++c) {
    const Graph g = cands[c].build();
    std::vector<double> err2(fp32.outputs.size(), 0.0);
    for (size_t i = 0; i < inputs.size(); ++i) add_errors(g, execute(g, inputs[i]), ref[i], err2);
    finish_row(fp32, ref2, err2, cands[c].row);
    rows.push_back(std::move(cands[c].row));
    if (options.progress) options.progress(c + 1, cands.size());
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const auto& a, const auto& b) { return a.sqnr_db < b.sqnr_db; });
  return rows;
}

}  // namespace npusim::compiler
