#include "host_work_cost.hpp"

namespace npusim::runtime {

namespace {

int64_t elements(const compiler::Graph& g, const std::string& name) {
  if (name.empty() || !g.has_value(name)) return 0;
  const compiler::Value& v = g.value(name);
  return v.rank_known ? compiler::element_count(v.shape) : 0;
}

// Multiply-accumulates of convolutions (weights [O, I/groups, kH, kW]) and
// matrix products ([.., K] x [K, N]).
int64_t macs(const compiler::Graph& g, const compiler::Node& n) {
  if (n.outputs.empty()) return 0;
  const int64_t out = elements(g, n.outputs[0]);
  const bool conv = n.op.find("Conv") != std::string::npos;
  const bool matmul = n.op.find("MatMul") != std::string::npos || n.op == "Gemm";
  if (!conv && !matmul) return 0;
  const size_t w = n.op == "QLinearConv" || n.op == "QLinearMatMul" ? 3 : 1;
  if (n.inputs.size() <= w || !g.has_value(n.inputs[w])) return 0;
  const compiler::Value& weights = g.value(n.inputs[w]);
  if (!weights.rank_known || weights.shape.size() < 2) return 0;
  if (matmul) return out * weights.shape[weights.shape.size() - 2];
  int64_t per_output = 1;
  for (size_t d = 1; d < weights.shape.size(); ++d) per_output *= weights.shape[d];
  return out * per_output;
}

}  // namespace

double cpu_node_cost_ns(const compiler::Graph& g, const compiler::Node& n,
                        const HostCostModel& cost) {
  int64_t written = 0;
  for (const auto& o : n.outputs) written += elements(g, o);
  return cost.node_ns + double(written) * cost.ns_per_element +
         double(macs(g, n)) * cost.ns_per_mac;
}

double cpu_segment_cost_ns(const compiler::Graph& g, const HostCostModel& cost) {
  double ns = 0;
  for (const compiler::Node& n : g.nodes) ns += cpu_node_cost_ns(g, n, cost);
  return ns;
}

}  // namespace npusim::runtime
