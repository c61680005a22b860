#include "npusim/sweep/point_result.hpp"

// JSON conversions by field name (nlohmann), found by argument-dependent
// lookup: LayerRow's in its own namespace.
namespace npusim::runtime {
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(LayerRow, segment, name, op, unit, reason, cycles, time_us, macs,
                                   dma_bytes, utilisation, start_ps, end_ps)
}  // namespace npusim::runtime

namespace npusim::sweep {

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(PointResult, key, status, error, latency_mean_us, latency_p50_us,
                                   latency_p99_us, latency_min_us, latency_max_us, qps, span_us,
                                   host_us, h2d_us, compute_us, d2h_us, npu_pct, comp_pct, io_pct,
                                   pe_cycles, task_cycles, tensor_cycles, dma_busy_cycles,
                                   dram_bytes, dram_use_bytes, sram_use_bytes, npu_layers,
                                   cpu_layers, compile_ms, cache_hit, host_ms, host, layers)

nlohmann::json to_json(const PointResult& r) {
  nlohmann::json j;
  to_json(j, r);
  return j;
}

PointResult result_from_json(const nlohmann::json& j) {
  PointResult r;
  from_json(j, r);
  return r;
}

PointResult failed_result(const std::string& key, const std::string& error) {
  PointResult r;
  r.key = key;
  r.status = "failed";
  r.error = error;
  return r;
}

}  // namespace npusim::sweep
