#include "npusim/sweep/point_result.hpp"

namespace npusim::sweep {

namespace {

nlohmann::json layer_json(const runtime::LayerRow& l) {
  return {{"segment", l.segment},
          {"name", l.name},
          {"op", l.op},
          {"unit", l.unit},
          {"reason", l.reason},
          {"cycles", l.cycles},
          {"time_us", l.time_us},
          {"macs", l.macs},
          {"dma_bytes", l.dma_bytes},
          {"utilisation", l.utilisation},
          {"start_ps", l.start_ps},
          {"end_ps", l.end_ps}};
}

runtime::LayerRow layer_from_json(const nlohmann::json& j) {
  runtime::LayerRow l;
  l.segment = j.at("segment");
  l.name = j.at("name");
  l.op = j.at("op");
  l.unit = j.at("unit");
  l.reason = j.at("reason");
  l.cycles = j.at("cycles");
  l.time_us = j.at("time_us");
  l.macs = j.at("macs");
  l.dma_bytes = j.at("dma_bytes");
  l.utilisation = j.at("utilisation");
  l.start_ps = j.at("start_ps");
  l.end_ps = j.at("end_ps");
  return l;
}

}  // namespace

// The fields by name, once for both directions.
#define NPUSIM_POINT_RESULT_FIELDS(X)                                                             \
  X(key)                                                                                          \
  X(status)                                                                                       \
  X(error)                                                                                        \
  X(latency_mean_us) X(latency_p50_us) X(latency_p99_us) X(latency_min_us) X(latency_max_us)      \
      X(qps) X(span_us) X(host_us) X(h2d_us) X(compute_us) X(d2h_us) X(npu_pct) X(comp_pct)       \
          X(io_pct) X(pe_cycles) X(task_cycles) X(tensor_cycles) X(dma_busy_cycles) X(dram_bytes) \
              X(dram_use_bytes) X(sram_use_bytes) X(npu_layers) X(cpu_layers) X(compile_ms)       \
                  X(cache_hit) X(host_ms) X(host)

nlohmann::json to_json(const PointResult& r) {
  nlohmann::json j;
#define NPUSIM_TO_JSON(f) j[#f] = r.f;
  NPUSIM_POINT_RESULT_FIELDS(NPUSIM_TO_JSON)
#undef NPUSIM_TO_JSON
  j["layers"] = nlohmann::json::array();
  for (const auto& l : r.layers) j["layers"].push_back(layer_json(l));
  return j;
}

PointResult result_from_json(const nlohmann::json& j) {
  PointResult r;
#define NPUSIM_FROM_JSON(f) j.at(#f).get_to(r.f);
  NPUSIM_POINT_RESULT_FIELDS(NPUSIM_FROM_JSON)
#undef NPUSIM_FROM_JSON
  for (const auto& l : j.at("layers")) r.layers.push_back(layer_from_json(l));
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
