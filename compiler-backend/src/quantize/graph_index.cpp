#include "graph_index.hpp"

#include <algorithm>

namespace npusim::compiler::quant {

GraphIndex::GraphIndex(const Graph& graph)
    : g(graph), outputs(graph.outputs.begin(), graph.outputs.end()) {
  for (size_t n = 0; n < g.nodes.size(); ++n) {
    for (const auto& o : g.nodes[n].outputs)
      if (!o.empty()) producers[o] = static_cast<int>(n);
    for (const auto& in : g.nodes[n].inputs) {
      if (in.empty()) continue;
      auto& list = users[in];
      if (list.empty() || list.back() != static_cast<int>(n)) list.push_back(static_cast<int>(n));
    }
  }
}

int GraphIndex::producer(const std::string& v) const {
  auto it = producers.find(v);
  return it == producers.end() ? -1 : it->second;
}

const std::vector<int>& GraphIndex::consumers(const std::string& v) const {
  static const std::vector<int> none;
  auto it = users.find(v);
  return it == users.end() ? none : it->second;
}

bool GraphIndex::is_activation(const std::string& v) const {
  if (v.empty() || !g.has_value(v)) return false;
  const Value& value = g.value(v);
  return !value.constant && value.dtype == DType::kFloat32;
}

}  // namespace npusim::compiler::quant
