// Constant folding for the quantiser: exporters leave shape arithmetic
// (Shape -> Slice -> Concat -> Reshape), Constant nodes and ConstantOfShape
// paddings in graphs; with static input shapes they are constants, which
// the quantiser must see as such (they are not activations to calibrate).
#include "npusim/compiler/executor.hpp"
#include "passes.hpp"

namespace npusim::compiler::quant {
namespace {

bool inputs_constant(const Graph& g, const Node& n) {
  for (const auto& in : n.inputs)
    if (!in.empty() && !g.is_constant(in)) return false;
  return true;
}

// Shape only needs the input's shape: a zero tensor of that shape stands in.
bool shape_known(const Graph& g, const Node& n) {
  return n.op == "Shape" && n.domain.empty() && g.value(n.inputs.at(0)).rank_known;
}

std::vector<Tensor> evaluate(const Graph& g, const Node& n) {
  std::vector<Tensor> placeholders;
  placeholders.reserve(n.inputs.size());
  std::vector<const Tensor*> args;
  for (const auto& in : n.inputs) {
    if (in.empty()) {
      args.push_back(nullptr);
    } else if (g.is_constant(in)) {
      args.push_back(&*g.value(in).constant);
    } else {
      const Value& v = g.value(in);
      placeholders.emplace_back(v.dtype == DType::kUndefined ? DType::kFloat32 : v.dtype, v.shape);
      args.push_back(&placeholders.back());
    }
  }
  return execute_node(n, args, g.opset);
}

}  // namespace

int fold_constants(Graph& g) {
  int folded = 0;
  std::vector<Node> kept;
  for (auto& n : g.nodes) {
    const bool foldable =
        n.domain.empty() && executor_supports(n.op) && (inputs_constant(g, n) || shape_known(g, n));
    if (!foldable) {
      kept.push_back(std::move(n));
      continue;
    }
    std::vector<Tensor> out = evaluate(g, n);
    for (size_t k = 0; k < n.outputs.size(); ++k)
      if (!n.outputs[k].empty() && out[k].dtype() != DType::kUndefined)
        g.set_constant(n.outputs[k], std::move(out[k]));
    ++folded;
  }
  g.nodes = std::move(kept);
  return folded;
}

}  // namespace npusim::compiler::quant
