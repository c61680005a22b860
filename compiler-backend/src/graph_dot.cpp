#include "npusim/compiler/graph_dot.hpp"

#include <sstream>

namespace npusim::compiler {
namespace {

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string to_dot(const Graph& g, const std::map<std::string, std::string>& unit_of) {
  std::ostringstream dot;
  dot << "digraph " << quoted(g.name.empty() ? "model" : g.name) << " {\n"
      << "  rankdir=TB;\n  node [shape=box, style=filled, fontname=Helvetica];\n";
  std::map<std::string, std::string> producer;
  for (const auto& in : g.inputs) {
    dot << "  " << quoted("in:" + in) << " [label=" << quoted(in)
        << ", shape=ellipse, fillcolor=white];\n";
    producer[in] = "in:" + in;
  }
  for (const auto& n : g.nodes) {
    auto it = unit_of.find(n.describe());
    const std::string unit = it == unit_of.end() ? "" : it->second;
    const char* colour = unit == "NPU" ? "palegreen" : unit == "CPU" ? "lightsalmon" : "lightgrey";
    dot << "  " << quoted(n.name)
        << " [label=" << quoted(n.op + "\n" + n.name + (unit.empty() ? "" : "\n" + unit))
        << ", fillcolor=" << colour << "];\n";
    for (const auto& o : n.outputs) producer[o] = n.name;
  }
  for (const auto& n : g.nodes)
    for (const auto& in : n.inputs) {
      auto p = producer.find(in);
      if (p == producer.end()) continue;  // constants
      const Value* v = g.values.count(in) ? &g.values.at(in) : nullptr;
      const std::string label = v && v->rank_known ? shape_string(v->shape) : "";
      dot << "  " << quoted(p->second) << " -> " << quoted(n.name) << " [label=" << quoted(label)
          << "];\n";
    }
  for (const auto& out : g.outputs) {
    dot << "  " << quoted("out:" + out) << " [label=" << quoted(out)
        << ", shape=ellipse, fillcolor=white];\n";
    if (producer.count(out))
      dot << "  " << quoted(producer[out]) << " -> " << quoted("out:" + out) << ";\n";
  }
  dot << "}\n";
  return dot.str();
}

}  // namespace npusim::compiler
