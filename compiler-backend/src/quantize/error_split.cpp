// Models that quantise only the constants or only the activations, to tell
// which side loses accuracy (quantizer.hpp). FP32 and QDQ nodes are paired
// by name: the rewrite keeps every original node's name.
#include <map>

#include "npusim/compiler/quantizer.hpp"
#include "passes.hpp"

namespace npusim::compiler {
namespace {

// The constant DequantizeLinear nodes of a graph, by output.
std::map<std::string, const Node*> constant_dequantizers(const Graph& g) {
  std::map<std::string, const Node*> out;
  for (const auto& n : g.nodes)
    if (n.op == "DequantizeLinear" && g.is_constant(n.inputs[0])) out[n.outputs[0]] = &n;
  return out;
}

std::map<std::string, const Node*> by_name(const Graph& g) {
  std::map<std::string, const Node*> out;
  for (const auto& n : g.nodes) out.emplace(n.name, &n);
  return out;
}

Tensor evaluate(const Graph& g, const Node& dq) {
  std::vector<const Tensor*> args;
  for (const auto& in : dq.inputs) args.push_back(in.empty() ? nullptr : &*g.value(in).constant);
  return execute_node(dq, args, g.opset).at(0);
}

}  // namespace

Graph weights_only_model(const Graph& fp32, const Graph& qdq, const std::string& only_node) {
  const auto dqs = constant_dequantizers(qdq);
  const auto qnodes = by_name(qdq);
  Graph w = fp32;
  for (auto& n : w.nodes) {
    if (!only_node.empty() && (n.outputs.empty() || n.outputs[0] != only_node)) continue;
    auto q = qnodes.find(n.name);
    if (q == qnodes.end() || q->second->op != n.op) continue;
    for (size_t i = 0; i < n.inputs.size() && i < q->second->inputs.size(); ++i) {
      auto dq = dqs.find(q->second->inputs[i]);
      if (dq == dqs.end()) continue;
      const std::string name = quant::unique_name(w, n.inputs[i] + "_fake_quantized");
      w.set_constant(name, evaluate(qdq, *dq->second));
      n.inputs[i] = name;
    }
  }
  w.prune();
  return w;
}

Graph activations_only_model(const Graph& fp32, const Graph& qdq) {
  const auto dqs = constant_dequantizers(qdq);
  const auto fnodes = by_name(fp32);
  Graph a = qdq;
  for (auto& n : a.nodes) {
    auto f = fnodes.find(n.name);
    if (f == fnodes.end() || f->second->op != n.op) continue;
    for (size_t i = 0; i < n.inputs.size() && i < f->second->inputs.size(); ++i) {
      const std::string& original = f->second->inputs[i];
      if (!dqs.count(n.inputs[i]) || !fp32.is_constant(original)) continue;
      if (!a.has_value(original)) a.values[original] = fp32.value(original);
      n.inputs[i] = original;
    }
  }
  a.prune();
  return a;
}

}  // namespace npusim::compiler
