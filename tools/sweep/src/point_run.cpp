#include "npusim/sweep/point_run.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <set>
#include <variant>

#include "npusim/compiler/graph.hpp"
#include "npusim/runtime/program_memory.hpp"
#include "npusim/runtime/runner.hpp"
#include "npusim/sim/in_process_device.hpp"

namespace npusim::sweep {

namespace {

using Clock = std::chrono::steady_clock;

// The most SRAM a PE may have (docs/params.md): the reference for what fits.
constexpr uint64_t kRoomySram = 1ull << 30;
// A point's requests are submitted at once, each with its own inputs.
constexpr uint64_t kMaxInputBytes = 4ull << 30;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

std::string hostname() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "unknown";
  return name;
}

runtime::ModelOptions model_options(const Point& p) {
  runtime::ModelOptions mo;
  mo.hw = p.hw;
  mo.target = p.fused() ? isa::Mode::kFused : isa::Mode::kSingle;
  mo.input_shapes = p.input_shapes;
  mo.cache_dir = p.cache_dir;
  return mo;
}

// Nearest-rank percentile of sorted values.
double percentile(const std::vector<double>& sorted, double pct) {
  const size_t rank = static_cast<size_t>(std::ceil(pct / 100.0 * double(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

void latency_figures(const runtime::SessionStats& s, PointResult& r) {
  std::vector<double> us;
  for (const auto& t : s.timings) {
    us.push_back(double(t.latency_ps()) / 1e6);
    r.host_us += double(t.host_ps) / 1e6;
    r.h2d_us += double(t.h2d_ps) / 1e6;
    r.compute_us += double(t.compute_ps) / 1e6;
    r.d2h_us += double(t.d2h_ps) / 1e6;
  }
  const double n = double(us.size());
  for (double* v : {&r.host_us, &r.h2d_us, &r.compute_us, &r.d2h_us}) *v /= n;
  std::sort(us.begin(), us.end());
  double sum = 0;
  for (double v : us) sum += v;
  r.latency_mean_us = sum / n;
  r.latency_p50_us = percentile(us, 50);
  r.latency_p99_us = percentile(us, 99);
  r.latency_min_us = us.front();
  r.latency_max_us = us.back();
  r.span_us = double(s.span_ps()) / 1e6;
  r.qps = s.span_ps() ? n / (double(s.span_ps()) / 1e12) : 0;
}

void counter_figures(const runtime::SessionStats& s, uint64_t requests, PointResult& r) {
  uint64_t dma_bytes = 0;
  for (const auto& pe : s.pes) {
    r.npu_pct += pe.npu_percent() / double(s.pes.size());
    r.comp_pct += pe.comp_percent() / double(s.pes.size());
    r.io_pct += pe.io_percent() / double(s.pes.size());
    r.pe_cycles += pe.cycles;
    r.task_cycles += pe.task_cycles;
    r.tensor_cycles += pe.tensor_cycles;
    r.dma_busy_cycles += pe.dma_busy_cycles;
    dma_bytes += pe.dma_bytes;
  }
  r.dram_bytes = requests ? dma_bytes / requests : 0;
  r.dram_use_bytes = s.dram_bytes;
}

PointResult measure(const Point& p) {
  PointResult r;
  r.key = p.key;
  const auto model = runtime::Model::load(p.model_path, model_options(p));
  r.compile_ms = model->compile_ms();
  r.cache_hit = model->cache_hit();
  r.sram_use_bytes = runtime::sram_high_water(model->program());

  runtime::RunnerOptions ro;
  ro.transport = sim::in_process_device({p.hw, !p.arithmetic});  // reconfigures and resets
  ro.devices = mode_devices(p.mode);
  ro.worker_num = p.workload.workers;
  ro.host = runtime::HostCostModel::from(p.hw);
  ro.timeout = std::chrono::minutes(10);
  ro.device_trace = p.layers;  // per-layer events; costs no simulated time
  runtime::AsyncRunner runner(model, ro);
  uint64_t input_bytes = 0;
  for (const auto& t : model->program().inputs) input_bytes += t.bytes();
  if (input_bytes * p.workload.queries > kMaxInputBytes)
    throw std::runtime_error(
        std::to_string(p.workload.queries) + " queries of " + std::to_string(input_bytes) +
        " input bytes each would hold more than " + std::to_string(kMaxInputBytes >> 30) +
        " GiB of inputs at once: ask for fewer queries");
  std::vector<runtime::Tensor> inputs;
  for (const auto& d : model->inputs()) inputs.emplace_back(d.dtype, d.shape);
  // All at once: the simulated timeline then does not depend on this host's speed.
  std::vector<runtime::Future> pending =
      runner.run_async_all(std::vector<std::vector<runtime::Tensor>>(p.workload.queries, inputs));
  for (auto& f : pending) f.get();
  const runtime::SessionStats s = runner.stats();
  runner.close();

  latency_figures(s, r);
  counter_figures(s, p.workload.queries, r);
  if (p.layers && !s.timings.empty()) {
    const runtime::RequestTiming& last = s.timings.back();
    r.layers = runtime::layer_table(*model, s, last.request, *ro.host);
    // From the request's start: the session's clock carries on across the
    // points a worker runs, so absolute times would depend on the order.
    for (auto& l : r.layers) {
      if (l.end_ps == 0) continue;  // CPU layers have no place on the device's timeline
      l.start_ps -= last.start_ps;
      l.end_ps -= last.start_ps;
    }
  }
  const auto& segments = model->program().segments;
  for (size_t i = 0; i < segments.size(); ++i) {
    if (const auto* npu = std::get_if<isa::NpuSegment>(&segments[i]))
      r.npu_layers += npu->layers.size();
    else
      r.cpu_layers += model->cpu_graph(i).nodes.size();
  }
  return r;
}

// The CPU layers of a program, and the names of its NPU layers.
struct Placement {
  std::vector<const isa::LayerInfo*> cpu;
  std::set<std::string> npu;
};

Placement placement(const isa::Program& p) {
  Placement out;
  for (const auto& segment : p.segments) {
    if (const auto* npu = std::get_if<isa::NpuSegment>(&segment))
      for (const auto& l : npu->layers) out.npu.insert(l.name);
    else
      for (const auto& l : std::get<isa::CpuSegment>(segment).layers) out.cpu.push_back(&l);
  }
  return out;
}

// The compiler's answer to "does the model fit this hardware": layers it
// places on the CPU here but on the NPU with the most SRAM there is (the
// same hardware with sram_per_pe=1GiB) do not fit. "" when none.
std::string layers_short_of_sram(const Point& point, const isa::Program& program) {
  const Placement here = placement(program);
  const bool npub = point.model_path.ends_with(".npub");  // compiled already: placed as it is
  if (npub || here.cpu.empty() || point.hw.sram_per_pe >= kRoomySram) return "";
  Point roomy = point;
  roomy.hw.sram_per_pe = kRoomySram;
  const auto reference = runtime::Model::load(roomy.model_path, model_options(roomy));
  const Placement there = placement(reference->program());
  std::vector<const isa::LayerInfo*> lost;
  for (const isa::LayerInfo* l : here.cpu)
    if (there.npu.count(l->name)) lost.push_back(l);
  if (lost.empty()) return "";
  // The compiler's reason usually names the layer already.
  const std::string layer = lost[0]->op + " '" + lost[0]->name + "'";
  const std::string& why = lost[0]->reason;
  return std::to_string(lost.size()) + (lost.size() == 1 ? " layer runs" : " layers run") +
         " on the NPU with more SRAM but not with this hardware: " +
         (why.rfind(layer, 0) == 0 ? why : layer + ": " + why);
}

}  // namespace

PointResult run_point(const Point& point) {
  const auto t0 = Clock::now();
  PointResult r;
  try {
    r = measure(point);
  } catch (const std::exception& e) {
    r = failed_result(point.key, e.what());
  }
  r.host_ms = ms_since(t0);
  r.host = hostname();
  return r;
}

PointResult compile_point(const Point& point) {
  const auto t0 = Clock::now();
  PointResult r;
  r.key = point.key;
  try {
    const auto model = runtime::Model::load(point.model_path, model_options(point));
    r.compile_ms = model->compile_ms();
    r.cache_hit = model->cache_hit();
    if (const std::string lost = layers_short_of_sram(point, model->program()); !lost.empty())
      r = failed_result(point.key, lost);
  } catch (const std::exception& e) {
    r = failed_result(point.key, e.what());
  }
  r.host_ms = ms_since(t0);
  r.host = hostname();
  return r;
}

}  // namespace npusim::sweep
