#include "npusim/runtime/cpu_unit.hpp"

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include "host_work_cost.hpp"
#include "npusim/compiler/executor.hpp"
#include "npusim/compiler/lower_quantized.hpp"
#include "npusim/compiler/onnx_io.hpp"
#include "npusim/runtime/errors.hpp"

namespace npusim::runtime {

namespace {

double number(const std::string& key, const std::string& value) {
  try {
    size_t used = 0;
    const double v = std::stod(value, &used);
    if (used == value.size() && v > 0) return v;
  } catch (const std::exception&) {
  }
  throw std::invalid_argument("cpu." + key + ": expected a number above 0, got \"" + value + "\"");
}

// The cost model: per node a fixed cost, the elements it writes and its
// multiply-accumulates (the host cost model's formula, with this unit's figures).
double modelled_query_ns(const compiler::Graph& g, const CpuUnitParams& p) {
  HostCostModel cost;
  cost.node_ns = p.node_ns;
  cost.ns_per_element = p.ns_per_element;
  cost.ns_per_mac = 1.0 / p.gmacs_per_core;
  return p.query_ns + cpu_segment_cost_ns(g, cost);
}

}  // namespace

void apply_cpu_assignment(CpuUnitParams& p, const std::string& key, const std::string& value) {
  if (key == "cores") {
    const double v = number(key, value);
    if (v != double(int(v)) || v > 1024)
      throw std::invalid_argument("cpu.cores: expected a whole number 1..1024, got \"" + value +
                                  "\"");
    p.cores = int(v);
  } else if (key == "gmacs") {
    p.gmacs_per_core = number(key, value);
  } else if (key == "node_ns") {
    p.node_ns = number(key, value);
  } else if (key == "element_ns") {
    p.ns_per_element = number(key, value);
  } else if (key == "query_ns") {
    p.query_ns = number(key, value);
  } else if (key == "measured") {
    if (value != "0" && value != "1")
      throw std::invalid_argument("cpu.measured: expected 0 or 1, got \"" + value + "\"");
    p.measured = value == "1";
  } else {
    throw std::invalid_argument("unknown CPU unit parameter cpu." + key +
                                " (cores, gmacs, node_ns, element_ns, query_ns, measured)");
  }
}

CpuUnit::CpuUnit(const std::string& path,
                 const std::map<std::string, compiler::Shape>& input_shapes,
                 const CpuUnitParams& params)
    : params_(params) {
  try {
    compiler::ImportOptions io;
    io.input_shapes = input_shapes;
    lowered_ = compiler::import_onnx(path, io);
    compiler::lower_quantized(lowered_);
  } catch (const std::exception& e) {
    throw RuntimeError(RuntimeErrorKind::kModel,
                       path + ": the CPU unit cannot load it: " + e.what());
  }
  query_ns_ = modelled_query_ns(lowered_, params_);
}

void CpuUnit::measure(const compiler::TensorMap& probe) {
  if (!params_.measured) return;
  const auto t0 = std::chrono::steady_clock::now();
  run(probe);
  query_ns_ =
      std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
}

compiler::TensorMap CpuUnit::run(const compiler::TensorMap& inputs) const {
  compiler::TensorMap all = compiler::execute(lowered_, inputs);
  compiler::TensorMap out;
  for (const auto& name : lowered_.outputs) out[name] = std::move(all.at(name));
  return out;
}

std::vector<CpuUnit::Slot> CpuUnit::schedule(int64_t n) const {
  const auto per_query = static_cast<uint64_t>(query_ns_ * 1000.0);
  std::vector<uint64_t> free_at(size_t(params_.cores), 0);
  std::vector<Slot> slots;
  for (int64_t q = 0; q < n; ++q) {
    const auto core = std::min_element(free_at.begin(), free_at.end());
    slots.push_back({int(core - free_at.begin()), *core, *core + per_query});
    *core += per_query;
  }
  return slots;
}

uint64_t CpuUnit::span_ps(int64_t n) const {
  uint64_t end = 0;
  for (const Slot& s : schedule(n)) end = std::max(end, s.end_ps);
  return end;
}

}  // namespace npusim::runtime
