// Small graph edits shared by the quantiser's passes (passes.hpp).
#include <algorithm>

#include "passes.hpp"

namespace npusim::compiler::quant {

void rename_value(Graph& g, const std::string& from, const std::string& to) {
  for (auto& n : g.nodes) {
    std::replace(n.inputs.begin(), n.inputs.end(), from, to);
    std::replace(n.outputs.begin(), n.outputs.end(), from, to);
  }
  std::replace(g.outputs.begin(), g.outputs.end(), from, to);
  std::replace(g.inputs.begin(), g.inputs.end(), from, to);
  auto it = g.values.find(from);
  if (it == g.values.end()) return;
  Value v = std::move(it->second);
  g.values.erase(it);
  v.name = to;
  g.values[to] = std::move(v);
}

std::string unique_name(const Graph& g, const std::string& base) {
  if (!g.has_value(base)) return base;
  for (int i = 2;; ++i) {
    const std::string name = base + "_" + std::to_string(i);
    if (!g.has_value(name)) return name;
  }
}

int remove_identities(Graph& g) {
  int removed = 0;
  for (size_t i = 0; i < g.nodes.size();) {
    const Node& n = g.nodes[i];
    const bool pass_through = n.domain.empty() && (n.op == "Identity" || n.op == "Dropout") &&
                              !n.inputs.empty() && !n.inputs[0].empty() &&
                              (n.outputs.size() == 1 || n.outputs[1].empty());
    const std::string in = pass_through ? n.inputs[0] : "", out = pass_through ? n.outputs[0] : "";
    const bool out_is_output = std::count(g.outputs.begin(), g.outputs.end(), out) > 0;
    const bool in_is_io = std::count(g.inputs.begin(), g.inputs.end(), in) > 0 ||
                          std::count(g.outputs.begin(), g.outputs.end(), in) > 0 ||
                          g.is_constant(in);
    // A graph output keeps its name: the producer of the input takes it over.
    if (!pass_through || (out_is_output && in_is_io)) {
      ++i;
      continue;
    }
    g.nodes.erase(g.nodes.begin() + static_cast<std::ptrdiff_t>(i));
    if (out_is_output) {
      g.values.erase(out);
      rename_value(g, in, out);
    } else {
      for (auto& m : g.nodes) std::replace(m.inputs.begin(), m.inputs.end(), out, in);
      g.values.erase(out);
    }
    ++removed;
  }
  return removed;
}

}  // namespace npusim::compiler::quant
