// plan_quantization (quantizer.hpp): from node roles to the quantised
// values, their shared parameters, and the constants quantised with them.
#include <set>

#include "npusim/compiler/quantizer.hpp"
#include "plan_roles.hpp"

namespace npusim::compiler {
namespace {

using quant::GraphIndex;
using quant::Role;

bool quantisable(Role r) {
  return r != Role::kFloat && r != Role::kMove;
}

// Inputs of a quantisable node that must arrive quantised.
std::vector<std::string> data_inputs(const Node& n, Role r) {
  switch (r) {
    case Role::kCompute:
      return {n.inputs.begin(), n.inputs.begin() + std::min<size_t>(2, n.inputs.size())};
    case Role::kPool:
    case Role::kSlopeLut:
    case Role::kSharedPool:
    case Role::kResize:
    case Role::kSharedResize:
      return {n.inputs.at(0)};
    default:
      return n.inputs;
  }
}

bool float_constant(const Graph& g, const std::string& v) {
  return !v.empty() && g.is_constant(v) && g.value(v).dtype == DType::kFloat32;
}

// Per-channel axis of a compute node's weights (input `w`): the output
// features; -1 where one scale per channel is not expressible.
int64_t weight_axis(const Graph& g, const Node& n, size_t w) {
  const size_t rank = g.value(n.inputs[w]).shape.size();
  if (n.op == "Conv") return 0;
  if (n.op == "ConvTranspose") return n.i("group", 1) == 1 ? 1 : -1;
  if (n.op == "Gemm") return n.i("transB", 0) ? 0 : 1;
  return w == 1 && rank >= 2 ? static_cast<int64_t>(rank) - 1 : -1;  // MatMul [.., K, N]
}

void plan_weights(const Graph& g, const GraphIndex& ix, const quant::Roles& r, size_t i,
                  QuantPlan& plan) {
  const Node& n = g.nodes[i];
  size_t w = 1;
  if (n.op == "MatMul" && !float_constant(g, n.inputs[1]) && float_constant(g, n.inputs[0])) w = 0;
  if (!float_constant(g, n.inputs.at(w))) return;  // an activation: quantised per tensor
  const int64_t axis = weight_axis(g, n, w);
  const std::string x = n.inputs[1 - w];
  plan.weights.push_back({n.outputs[0], w, axis, x});
  if (n.op != "MatMul") {
    const bool absent = n.inputs.size() < 3 || n.inputs[2].empty();
    if (absent || (float_constant(g, n.inputs[2]) &&
                   (n.op != "Gemm" || g.value(n.inputs[2]).shape.size() == 1)))
      plan.biases.push_back({n.outputs[0], 2, x, n.inputs[w], axis, absent});
    return;
  }
  for (int a : ix.consumers(n.outputs[0]))
    if (r.role[a] == Role::kBiasAdd) {
      const Node& add = g.nodes[a];
      const size_t b = add.inputs[0] == n.outputs[0] ? 1 : 0;
      plan.biases.push_back({add.outputs[0], b, x, n.inputs[w], axis});
    }
}

// Values quantised: outputs of quantisable nodes, inputs they need, and
// through data movement (Reshape, ...) whatever feeds a quantised value.
std::set<std::string> quantised_values(const Graph& g, const GraphIndex& ix,
                                       const quant::Roles& r) {
  std::set<std::string> q;
  auto add = [&](const std::string& v) {
    if (ix.is_activation(v) && !r.interior.count(v)) q.insert(v);
  };
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    if (!quantisable(r.role[i])) continue;
    for (const auto& o : g.nodes[i].outputs) add(o);
    for (const auto& in : data_inputs(g.nodes[i], r.role[i])) add(in);
  }
  for (size_t i = g.nodes.size(); i-- > 0;) {
    if (r.role[i] != Role::kMove) continue;
    for (const auto& o : g.nodes[i].outputs)
      if (q.count(o)) add(g.nodes[i].inputs.at(0));
  }
  return q;
}

}  // namespace

QuantPlan plan_quantization(const Graph& g) {
  const GraphIndex ix(g);
  const quant::Roles r = quant::assign_roles(ix);
  const std::set<std::string> q = quantised_values(g, ix, r);
  QuantPlan plan;
  for (const auto& in : g.inputs)
    if (q.count(in)) plan.activations.push_back(in);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    const Role role = r.role[i];
    for (const auto& o : n.outputs)
      if (q.count(o)) plan.activations.push_back(o);
    plan.roles[n.outputs[0]] = quant::role_name(role);
    if (role == Role::kFloat) plan.float_nodes.push_back(n.describe());
    // Outputs that reuse the input's parameters stay exact (max, nearest, moves).
    const bool shares =
        role == Role::kMove || role == Role::kSharedPool || role == Role::kSharedResize;
    for (const auto& o : n.outputs)
      if (shares && q.count(o) && q.count(n.inputs.at(0))) plan.share[o] = n.inputs[0];
    if (role == Role::kCompute) plan_weights(g, ix, r, i, plan);
    for (size_t k = 0; k < n.inputs.size(); ++k) {
      if (!float_constant(g, n.inputs[k])) continue;
      if (role == Role::kBinary) plan.constants.push_back({n.outputs[0], k, ""});
      if (role == Role::kConcat) plan.constants.push_back({n.outputs[0], k, n.outputs[0]});
    }
  }
  return plan;
}

}  // namespace npusim::compiler
