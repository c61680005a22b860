// Graphviz DOT rendering of a graph, with each node coloured by where it runs.
#pragma once

#include <map>
#include <string>

#include "npusim/compiler/graph.hpp"

namespace npusim::compiler {

// `unit_of` maps Node::describe() to "NPU" or "CPU" (nodes not in it are grey).
std::string to_dot(const Graph& g, const std::map<std::string, std::string>& unit_of);

}  // namespace npusim::compiler
