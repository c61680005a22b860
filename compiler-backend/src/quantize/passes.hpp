// Internal to the quantiser: graph passes of prepare_graph() (quantizer.hpp)
// and helpers shared by the quantiser's files.
#pragma once

#include <string>

#include "npusim/compiler/graph.hpp"

namespace npusim::compiler::quant {

// Evaluates every node whose inputs are all constant, and Shape of values
// whose shape is known; returns the number of nodes removed.
int fold_constants(Graph& g);
// Removes Identity and (inference) Dropout nodes; returns how many.
int remove_identities(Graph& g);
// Folds BatchNormalization and Mul/Add/Sub/Div by per-channel constants into
// the Conv (or ConvTranspose) before them; returns the count per op.
std::map<std::string, int> fold_affine(Graph& g);

// Renames value `from` to `to` everywhere (node inputs and outputs, graph
// outputs, the value table).
void rename_value(Graph& g, const std::string& from, const std::string& to);
// A value name not yet in `g`: `base`, else base_2, base_3, ...
std::string unique_name(const Graph& g, const std::string& base);

// Refuses graph inputs that are not float32 or whose shape is not static.
void check_inputs(const Graph& g);

}  // namespace npusim::compiler::quant
