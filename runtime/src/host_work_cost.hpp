// The host cost model's estimate for a CPU segment (docs/runtime.md):
// per node a fixed cost, plus its output elements, plus its multiply-
// accumulates for convolutions and matrix products.
#pragma once

#include "npusim/compiler/graph.hpp"
#include "npusim/runtime/host_cost.hpp"

namespace npusim::runtime {

// One node's share.
double cpu_node_cost_ns(const compiler::Graph& g, const compiler::Node& n,
                        const HostCostModel& cost);
double cpu_segment_cost_ns(const compiler::Graph& g, const HostCostModel& cost);

}  // namespace npusim::runtime
