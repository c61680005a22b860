// The per-layer table from a session's layer events (docs/profile.md).
#include "npusim/runtime/layer_profile.hpp"

#include <algorithm>
#include <set>
#include <sstream>

#include "host_work_cost.hpp"
#include "npusim/isa/hw_params.hpp"
#include "npusim/isa/program.hpp"

namespace npusim::runtime {

namespace {

LayerRow npu_row(const isa::Program& p, const isa::NpuSegment& seg, size_t index, size_t layer,
                 const SessionStats& stats, uint64_t request) {
  LayerRow row{seg.name, seg.layers[layer].name, seg.layers[layer].op, "NPU", ""};
  std::set<std::string> pes;
  bool any = false;
  for (const LayerEvent& e : stats.layer_events) {
    if (e.request != request || e.segment != index || e.layer != layer) continue;
    row.start_ps = any ? std::min(row.start_ps, e.start_ps) : e.start_ps;
    row.end_ps = std::max(row.end_ps, e.end_ps);
    row.macs += e.macs;
    row.dma_bytes += e.dma_bytes;
    pes.insert(e.pe);
    any = true;
  }
  if (!any) return row;
  const double ps = double(row.end_ps - row.start_ps);
  row.time_us = ps / 1e6;
  row.cycles = (row.end_ps - row.start_ps) / isa::clock_period_ps(p.hw.clock_hz);
  const double peak = double(row.cycles) * double(p.hw.array_rows * p.hw.array_cols) *
                      double(p.mode == isa::Mode::kFused ? 2 : 1);
  row.utilisation = peak > 0 ? double(row.macs) / peak : 0.0;
  return row;
}

void cpu_rows(const Model& model, size_t index, const HostCostModel& host,
              std::vector<LayerRow>& rows) {
  const auto& seg = std::get<isa::CpuSegment>(model.program().segments[index]);
  const compiler::Graph& g = model.cpu_graph(index);
  for (size_t k = 0; k < g.nodes.size(); ++k) {
    const compiler::Node& n = g.nodes[k];
    LayerRow row{seg.name, n.name.empty() ? n.outputs.front() : n.name, n.op, "CPU", ""};
    if (k < seg.layers.size()) row.reason = seg.layers[k].reason;
    row.time_us = cpu_node_cost_ns(g, n, host) / 1e3;
    rows.push_back(row);
  }
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

std::vector<LayerRow> layer_table(const Model& model, const SessionStats& stats, uint64_t request,
                                  const HostCostModel& host) {
  const isa::Program& p = model.program();
  std::vector<LayerRow> rows;
  for (size_t i = 0; i < p.segments.size(); ++i) {
    if (const auto* npu = std::get_if<isa::NpuSegment>(&p.segments[i])) {
      const std::vector<uint64_t> planned = isa::layer_dma_bytes(*npu);
      for (size_t l = 0; l < npu->layers.size(); ++l) {
        rows.push_back(npu_row(p, *npu, i, l, stats, request));
        rows.back().planned_dma_bytes = planned[l];
      }
    } else {
      cpu_rows(model, i, host, rows);
    }
  }
  return rows;
}

std::string layer_csv(const std::vector<LayerRow>& rows) {
  std::ostringstream out;
  out << "segment,name,op,unit,reason,cycles,time_us,macs,utilisation,dma_bytes,planned_dma_bytes,"
         "start_us,end_us\n";
  for (const LayerRow& r : rows)
    out << csv_field(r.segment) << ',' << csv_field(r.name) << ',' << csv_field(r.op) << ','
        << r.unit << ',' << csv_field(r.reason) << ',' << r.cycles << ',' << r.time_us << ','
        << r.macs << ',' << r.utilisation << ',' << r.dma_bytes << ',' << r.planned_dma_bytes << ','
        << double(r.start_ps) / 1e6 << ',' << double(r.end_ps) / 1e6 << '\n';
  return out.str();
}

}  // namespace npusim::runtime
