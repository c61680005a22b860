// Internal to the quantiser: producer and consumers of every value, built
// once (Graph::producer/consumers scan all nodes on each call).
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "npusim/compiler/graph.hpp"

namespace npusim::compiler::quant {

struct GraphIndex {
  explicit GraphIndex(const Graph& g);
  int producer(const std::string& v) const;                       // node index or -1
  const std::vector<int>& consumers(const std::string& v) const;  // each node once
  bool is_output(const std::string& v) const { return outputs.count(v) > 0; }
  // A non-constant float32 value: what the quantiser calibrates.
  bool is_activation(const std::string& v) const;

  const Graph& g;
  std::map<std::string, int> producers;
  std::map<std::string, std::vector<int>> users;
  std::set<std::string> outputs;
};

}  // namespace npusim::compiler::quant
