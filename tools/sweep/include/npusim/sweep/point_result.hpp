// What one point measured (docs/sweep.md lists each field as a column of the
// results database), and how it travels from a worker process as JSON.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "npusim/runtime/layer_profile.hpp"

namespace npusim::sweep {

struct PointResult {
  std::string key;            // the point's key
  std::string status = "ok";  // "ok" or "failed"
  std::string error;          // failed: why
  // Simulated figures: the same wherever and however fast the point ran.
  double latency_mean_us = 0, latency_p50_us = 0, latency_p99_us = 0;
  double latency_min_us = 0, latency_max_us = 0;
  double qps = 0, span_us = 0;  // requests per simulated second; first start to last end
  double host_us = 0, h2d_us = 0, compute_us = 0, d2h_us = 0;  // per request, mean
  double npu_pct = 0, comp_pct = 0, io_pct = 0;                // mean over the PEs the mode uses
  uint64_t pe_cycles = 0, task_cycles = 0, tensor_cycles = 0, dma_busy_cycles = 0;  // sums over PEs
  uint64_t dram_bytes = 0;      // DRAM bytes the PEs' DMA moved per request
  uint64_t dram_use_bytes = 0;  // device DRAM the session holds (weights, scratch, I/O, rings)
  uint64_t sram_use_bytes = 0;  // SRAM high-water mark per PE
  uint64_t npu_layers = 0, cpu_layers = 0;
  // Host figures: depend on the machine and on what the cache held.
  double compile_ms = 0;                  // compiling the point's program (the first time)
  bool cache_hit = false;                 // the program came from the compile cache
  double host_ms = 0;                     // wall time of loading and simulating the point
  std::string host;                       // the machine that ran it
  std::vector<runtime::LayerRow> layers;  // of the last request
};

nlohmann::json to_json(const PointResult& r);
PointResult result_from_json(const nlohmann::json& j);

// A failed point's result.
PointResult failed_result(const std::string& key, const std::string& error);

}  // namespace npusim::sweep
