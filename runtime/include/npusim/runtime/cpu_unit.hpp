// The host CPU as a unit of a cooperative run (docs/coop.md): the reference
// executor runs whole queries on the lowered model (the compiler's golden
// model, so its outputs are the NPU's), and a cost model of its own puts
// each query on the simulated timeline, on `cores` lanes of its own.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "npusim/compiler/graph.hpp"
#include "npusim/compiler/tensor.hpp"

namespace npusim::runtime {

struct CpuUnitParams {
  int cores = 4;                // queries at once, one per core
  double gmacs_per_core = 20;   // convolutions and matrix products, G MAC/s per core
  double node_ns = 1000;        // per node of the lowered graph
  double ns_per_element = 0.5;  // per element a node writes
  double query_ns = 5000;       // per query: bookkeeping, input checks
  bool measured = false;        // the reference executor's wall time instead of the model
};

// "cores", "gmacs", "node_ns", "element_ns", "query_ns", "measured" (0/1).
// Throws std::invalid_argument naming the key and the value.
void apply_cpu_assignment(CpuUnitParams& params, const std::string& key, const std::string& value);

class CpuUnit {
 public:
  // Imports and lowers the QDQ ONNX model at `path` as the compiler does.
  // Errors name the file and the reason.
  CpuUnit(const std::string& path, const std::map<std::string, compiler::Shape>& input_shapes,
          const CpuUnitParams& params);

  const CpuUnitParams& params() const { return params_; }
  const compiler::Graph& graph() const { return lowered_; }
  // One query's time on one core: the cost model, or (measured) the wall
  // time of running `probe` once.
  double query_ns() const { return query_ns_; }
  void measure(const compiler::TensorMap& probe);
  // Runs one query on the reference executor; inputs and outputs by name.
  compiler::TensorMap run(const compiler::TensorMap& inputs) const;
  // Where each of `n` queries, all there at time 0, runs: the earliest
  // free core takes the next query (ps).
  struct Slot {
    int core = 0;
    uint64_t start_ps = 0, end_ps = 0;
  };
  std::vector<Slot> schedule(int64_t n) const;
  uint64_t span_ps(int64_t n) const;

 private:
  CpuUnitParams params_;
  compiler::Graph lowered_;
  double query_ns_ = 0;
};

}  // namespace npusim::runtime
