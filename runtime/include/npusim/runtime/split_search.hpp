// The batch-size and split search of npusim split (docs/coop.md): for each
// batch size, every unit alone on the whole batch, then the units together
// on the split best_shares() predicts from the units' time curves; each
// combined run adds its parts' measured times to the curves, and the split
// is searched again (up to `rounds` combined runs per batch size), keeping
// the fastest measured.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "npusim/runtime/coop_runner.hpp"
#include "npusim/runtime/split_plan.hpp"

namespace npusim::runtime {

struct SearchOptions {
  std::vector<int64_t> batch_sizes;
  int rounds = 3;
  // Called before each measurement: "batch 16: npu0 alone", ...
  std::function<void(const std::string&)> progress;
};

std::vector<BatchPoint> search_batches(CoopRunner& runner, const QueryInputs& inputs,
                                       const SearchOptions& options);

}  // namespace npusim::runtime
