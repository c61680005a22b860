#include "npusim/compiler/graph.hpp"

#include <functional>
#include <set>

namespace npusim::compiler {

int64_t Node::i(const std::string& a, int64_t fallback) const {
  auto it = attrs.find(a);
  return it == attrs.end() ? fallback : std::get<int64_t>(it->second);
}
float Node::f(const std::string& a, float fallback) const {
  auto it = attrs.find(a);
  return it == attrs.end() ? fallback : std::get<float>(it->second);
}
std::string Node::s(const std::string& a, const std::string& fallback) const {
  auto it = attrs.find(a);
  return it == attrs.end() ? fallback : std::get<std::string>(it->second);
}
std::vector<int64_t> Node::ints(const std::string& a, std::vector<int64_t> fallback) const {
  auto it = attrs.find(a);
  return it == attrs.end() ? fallback : std::get<std::vector<int64_t>>(it->second);
}
std::vector<float> Node::floats(const std::string& a, std::vector<float> fallback) const {
  auto it = attrs.find(a);
  return it == attrs.end() ? fallback : std::get<std::vector<float>>(it->second);
}
const Tensor* Node::tensor(const std::string& a) const {
  auto it = attrs.find(a);
  return it == attrs.end() ? nullptr : &std::get<Tensor>(it->second);
}
std::string Node::describe() const {
  return op + " '" + name + "'";
}

Value& Graph::value(const std::string& name) {
  auto it = values.find(name);
  if (it == values.end()) throw CompileError("graph has no value named \"" + name + "\"");
  return it->second;
}
const Value& Graph::value(const std::string& name) const {
  auto it = values.find(name);
  if (it == values.end()) throw CompileError("graph has no value named \"" + name + "\"");
  return it->second;
}

void Graph::set_constant(const std::string& name, Tensor t) {
  Value& v = values[name];
  v.name = name;
  v.dtype = t.dtype();
  v.shape = t.shape();
  v.rank_known = true;
  v.constant = std::move(t);
}

bool Graph::is_constant(const std::string& name) const {
  auto it = values.find(name);
  return it != values.end() && it->second.constant.has_value();
}

int Graph::producer(const std::string& v) const {
  for (size_t n = 0; n < nodes.size(); ++n)
    for (const auto& o : nodes[n].outputs)
      if (o == v) return static_cast<int>(n);
  return -1;
}

std::vector<int> Graph::consumers(const std::string& v) const {
  std::vector<int> out;
  for (size_t n = 0; n < nodes.size(); ++n)
    for (const auto& in : nodes[n].inputs)
      if (in == v) {
        out.push_back(static_cast<int>(n));
        break;
      }
  return out;
}

void Graph::sort() {
  std::set<std::string> ready;
  for (const auto& in : inputs) ready.insert(in);
  for (const auto& [name, v] : values)
    if (v.constant) ready.insert(name);
  std::vector<Node> sorted;
  std::vector<bool> placed(nodes.size(), false);
  for (bool progress = true; progress;) {
    progress = false;
    for (size_t n = 0; n < nodes.size(); ++n) {
      if (placed[n]) continue;
      bool ok = true;
      for (const auto& in : nodes[n].inputs) ok = ok && (in.empty() || ready.count(in));
      if (!ok) continue;
      placed[n] = progress = true;
      for (const auto& o : nodes[n].outputs) ready.insert(o);
      sorted.push_back(std::move(nodes[n]));
    }
  }
  for (size_t n = 0; n < nodes.size(); ++n)
    if (!placed[n]) {
      for (const auto& in : nodes[n].inputs)
        if (!in.empty() && !ready.count(in))
          throw CompileError(nodes[n].describe() + ": input \"" + in +
                             "\" is never produced (or the graph has a cycle)");
    }
  nodes = std::move(sorted);
}

void Graph::prune() {
  std::set<std::string> needed(outputs.begin(), outputs.end());
  std::vector<Node> kept;
  for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) {
    bool used = false;
    for (const auto& o : it->outputs) used = used || needed.count(o);
    if (!used) continue;
    for (const auto& in : it->inputs) needed.insert(in);
    kept.push_back(std::move(*it));
  }
  nodes.assign(std::make_move_iterator(kept.rbegin()), std::make_move_iterator(kept.rend()));
  for (const auto& in : inputs) needed.insert(in);
  for (auto it = values.begin(); it != values.end();)
    it = needed.count(it->first) ? std::next(it) : values.erase(it);
}

}  // namespace npusim::compiler
