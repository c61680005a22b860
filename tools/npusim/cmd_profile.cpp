// npusim profile: the stages AI Hub reports for a model on a device (compile,
// first load, warm load, inference as the minimum over N runs of one input),
// each with its time and memory, then the per-layer table of the fastest
// inference from the device's instruction trace. Writes it as CSV, the whole
// profile as JSON, a Chrome/Perfetto trace and a single-file HTML report.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "hw_options.hpp"
#include "model_options.hpp"
#include "npusim/report/profile_html.hpp"
#include "npusim/runtime/layer_profile.hpp"
#include "npusim/runtime/program_memory.hpp"
#include "npusim/runtime/runner.hpp"
#include "npusim/runtime/trace.hpp"
#include "npusim/sim/in_process_device.hpp"
#include "parse_options.hpp"
#include "profile_memory.hpp"
#include "program_files.hpp"
#include "version.hpp"

namespace po = boost::program_options;

namespace npusim::cli {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

std::string mib(double bytes_or_mib, bool bytes = true) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(1) << (bytes ? bytes_or_mib / 1048576.0 : bytes_or_mib)
    << " MiB";
  return s.str();
}

// One stage over one or more runs, reported as AI Hub does: the time of the
// fastest run, and (min, max) ranges over the runs of the host process's
// peak resident set during a run and of what a run added to it.
struct Stage {
  Stage(std::string stage, std::string kind) : name(std::move(stage)), time_kind(std::move(kind)) {}
  std::string name, time_kind;
  std::vector<double> ms, peak_mib, increase_mib;
  std::string device;  // device memory the stage holds

  double best_ms() const { return *std::min_element(ms.begin(), ms.end()); }
  std::string memory() const;
};

// "a MiB" for one run or equal ends, else "a - b MiB".
std::string mib_range(const std::vector<double>& v) {
  const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  std::ostringstream s;
  s << std::fixed << std::setprecision(1) << *lo;
  if (*hi - *lo >= 0.05) s << " - " << *hi;
  return s.str() + " MiB";
}

std::string Stage::memory() const {
  return "host peak " + mib_range(peak_mib) + ", increase " + mib_range(increase_mib) +
         (device.empty() ? "" : "; device " + device);
}

// Runs `f` as one run of `stage`. What `f` returns (a runner, say) is kept
// until the memory is read, so the increase counts what the stage holds.
template <typename F>
void measure(Stage& stage, F&& f) {
  reset_peak_memory();
  const HostMemory before = host_memory();
  const auto t0 = Clock::now();
  const auto kept = f();
  stage.ms.push_back(ms_since(t0));
  const HostMemory after = host_memory();
  stage.peak_mib.push_back(after.peak);
  stage.increase_mib.push_back(std::max(0.0, after.rss - before.rss));
}

struct ProfileArgs {
  std::string model, devices, json, csv, html, trace, accuracy;
  std::vector<std::string> input_shapes;
  int runs = 10, loads = 3;
  bool quiet_layers = false;
  HwOptions hw;
};

ProfileArgs parse(const Args& args) {
  ProfileArgs a;
  po::options_description desc("profile options");
  auto add = desc.add_options();
  add("model", po::value(&a.model)->required()->value_name("MODEL"), ".onnx (int8 QDQ) or .npub");
  add("device,d", po::value(&a.devices)->value_name("D"), "npu0pe0 (default), npu0pe0-1, ...");
  add("runs,r", po::value(&a.runs)->value_name("N"),
      "inference runs; the minimum is reported (10)");
  add("loads", po::value(&a.loads)->value_name("N"),
      "warm loads after the first; the fastest is reported, memory as (min, max) (3)");
  add("input-shape", po::value(&a.input_shapes)->composing()->value_name("NAME=DIMS"),
      "ONNX: dynamic input dims");
  add("output,o", po::value(&a.json)->value_name("FILE.json"), "write the profile as JSON");
  add("csv", po::value(&a.csv)->value_name("FILE.csv"), "write the per-layer table as CSV");
  add("html", po::value(&a.html)->value_name("FILE.html"),
      "write a single-file HTML report (summary, per-layer chart, timeline)");
  add("trace,T", po::value(&a.trace)->value_name("FILE.json"),
      "write a Chrome/Perfetto trace (host lanes, queues, each PE's engines by layer)");
  add("no-layers", po::bool_switch(&a.quiet_layers), "do not print the per-layer table");
  add("accuracy", po::value(&a.accuracy)->value_name("FILE.json"),
      "npusim debug --json output: its per-layer accuracy goes into -o and --html");
  add_hw_options(desc, a.hw);
  po::positional_options_description pos;
  pos.add("model", 1);
  parse_options(args, "npusim profile MODEL [options]", desc, pos);
  if (a.runs < 1) throw UsageError("--runs must be at least 1");
  if (a.loads < 1) throw UsageError("--loads must be at least 1");
  // Refuse an output path that cannot be written before minutes of simulation.
  for (const std::string* out : {&a.json, &a.csv, &a.html, &a.trace}) {
    if (out->empty()) continue;
    const auto dir = std::filesystem::path(*out).parent_path();
    if (!dir.empty() && !std::filesystem::is_directory(dir))
      throw UsageError("cannot write " + *out + ": directory " + dir.string() + " does not exist");
  }
  return a;
}

// A JSON file (npusim debug --json); errors name it.
nlohmann::json read_json_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(path + ": not JSON: " + e.what());
  }
}

// What the inference stage measured.
struct Inference {
  runtime::RequestTiming best;
  runtime::SessionStats stats;
  std::vector<runtime::LayerRow> layers;
};

Inference infer(runtime::Runner& runner, const runtime::Model& model, int runs,
                const runtime::HostCostModel& host, Stage& stage) {
  std::vector<runtime::Tensor> inputs;
  for (const auto& d : model.inputs()) inputs.emplace_back(d.dtype, d.shape);
  Inference inf;
  for (int i = 0; i < runs; ++i) {
    measure(stage, [&] { return runner.run(inputs); });
    const runtime::RequestTiming& t = runner.last_timing();
    stage.ms.back() = double(t.latency_ps()) / 1e9;  // simulated, not wall
    if (i == 0 || t.latency_ps() < inf.best.latency_ps()) inf.best = t;
  }
  inf.stats = runner.stats();
  inf.layers = runtime::layer_table(model, inf.stats, inf.best.request, host);
  return inf;
}

nlohmann::json layers_json(const std::vector<runtime::LayerRow>& rows) {
  nlohmann::json a = nlohmann::json::array();
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    a.push_back({{"index", i},
                 {"segment", r.segment},
                 {"name", r.name},
                 {"op", r.op},
                 {"unit", r.unit},
                 {"reason", r.reason},
                 {"cycles", r.cycles},
                 {"time_us", r.time_us},
                 {"macs", r.macs},
                 {"utilisation", r.utilisation},
                 {"dma_bytes", r.dma_bytes},
                 {"planned_dma_bytes", r.planned_dma_bytes},
                 {"start_us", double(r.start_ps) / 1e6},
                 {"end_us", double(r.end_ps) / 1e6}});
  }
  return a;
}

nlohmann::json profile_json(const ProfileArgs& a, const isa::HwParams& hw,
                            const runtime::Model& model, const std::vector<Stage>& stages,
                            const Inference& inf, const std::string& trace) {
  nlohmann::json j;
  j["model"] = a.model;
  j["model_hash"] = model.source_hash();
  j["npusim_version"] = kVersion;
  j["device"] = inf.best.device;
  j["target"] = isa::mode_name(model.program().mode);
  for (const auto& [k, v] : isa::describe(hw)) j["hw"][k] = v;
  for (const auto& s : stages) {
    const auto range = [](const std::vector<double>& v) {
      const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
      return nlohmann::json::array({*lo, *hi});
    };
    j["stages"].push_back({{"name", s.name},
                           {"ms", s.best_ms()},
                           {"runs", s.ms.size()},
                           {"time_kind", s.time_kind},
                           {"memory", s.memory()},
                           {"host_peak_mib_range", range(s.peak_mib)},
                           {"host_increase_mib_range", range(s.increase_mib)},
                           {"device_memory", s.device}});
  }
  const auto us = [](uint64_t ps) { return double(ps) / 1e6; };
  const runtime::RequestTiming& t = inf.best;
  j["summary"] = {{"latency_us", us(t.latency_ps())}, {"host_us", us(t.host_ps)},
                  {"h2d_us", us(t.h2d_ps)},           {"compute_us", us(t.compute_ps)},
                  {"d2h_us", us(t.d2h_ps)},           {"request", t.request}};
  if (!inf.stats.pes.empty()) {
    const auto& pe = inf.stats.pes.front();
    j["summary"]["npu_percent"] = pe.npu_percent();
    j["summary"]["comp_percent"] = pe.comp_percent();
    j["summary"]["io_percent"] = pe.io_percent();
  }
  for (const auto& pe : inf.stats.pes)
    j["pes"][pe.pe] = {
        {"npu", pe.npu_percent()}, {"comp", pe.comp_percent()}, {"io", pe.io_percent()}};
  j["layers"] = layers_json(inf.layers);
  j["trace"] = nlohmann::json::parse(trace);
  return j;
}

void print_stages(const ProfileArgs& a, const isa::HwParams& hw, const std::vector<Stage>& stages,
                  const Inference& inf) {
  std::cout << "model      " << a.model << " on " << inf.best.device << " (" << hw.name << ")\n";
  for (const auto& s : stages)
    std::cout << "  " << std::left << std::setw(12) << s.name << std::right << std::fixed
              << std::setprecision(3) << std::setw(10) << s.best_ms() << " ms  (" << s.time_kind
              << ")  " << s.memory() << "\n";
  const auto us = [](uint64_t ps) { return double(ps) / 1e6; };
  const auto& t = inf.best;
  std::cout << std::setprecision(1) << "latency    " << us(t.latency_ps()) << " us: host "
            << us(t.host_ps) << ", H2D " << us(t.h2d_ps) << ", compute " << us(t.compute_ps)
            << ", D2H " << us(t.d2h_ps) << "\n";
  for (const auto& p : inf.stats.pes)
    std::cout << p.pe << "    NPU% " << p.npu_percent() << "  Comp% " << p.comp_percent()
              << "  I/O% " << p.io_percent() << "  (over " << a.runs
              << (a.runs == 1 ? " run" : " runs") << ")\n";
  if (inf.stats.trace_records_lost)
    std::cout << "warning    the device trace lost records; per-layer figures are incomplete\n";
}

// Layer names are often long paths whose end says the most.
std::string tail(const std::string& s, size_t width) {
  return s.size() <= width ? s : ".." + s.substr(s.size() - (width - 2));
}

void print_layers(const std::vector<runtime::LayerRow>& rows, uint64_t request) {
  if (rows.empty()) {
    std::cout << "\nno layer table: the program carries none (assembled by hand, or an .npub "
                 "older than format 1.1)\n";
    return;
  }
  std::cout << "\nlayers of request " << request << " (the fastest run)\n"
            << "    #  unit  op              name                          cycles   time us"
               "        MACs  util%   DMA KiB  plan KiB  reason\n";
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    std::cout << std::setw(5) << i << "  " << std::left << std::setw(4) << r.unit << "  "
              << std::setw(14) << r.op.substr(0, 14) << "  " << std::setw(28) << tail(r.name, 28)
              << std::right << std::setw(8) << r.cycles << std::fixed << std::setprecision(2)
              << std::setw(10) << r.time_us << std::setw(12) << r.macs << std::setprecision(1)
              << std::setw(7) << 100.0 * r.utilisation << std::setw(10)
              << double(r.dma_bytes) / 1024.0 << std::setw(10)
              << double(r.planned_dma_bytes) / 1024.0 << "  " << r.reason << "\n";
  }
}

}  // namespace

int cmd_profile(const Args& args) {
  const ProfileArgs a = parse(args);
  const isa::HwParams hw = resolve_hw(a.hw);
  runtime::ModelOptions mo = model_options(hw, a.devices, a.input_shapes);
  runtime::RunnerOptions ro;
  ro.transport = sim::in_process_device({hw, false});
  ro.devices = a.devices;
  ro.host = runtime::HostCostModel::from(hw);
  std::vector<Stage> stages;

  // compile (ONNX): once, without the compile cache. The loads then build
  // their model from this program, as a .npub's loads read the file: no
  // load compiles (warm loads once compiled through a cache the compile
  // stage never wrote, which made them slower than the first).
  std::shared_ptr<const runtime::Model> compiled;
  if (a.model.ends_with(".onnx")) {
    Stage compile{"compile", "wall, 1 run"};
    runtime::ModelOptions fresh = mo;
    fresh.cache_dir = "none";
    measure(compile, [&] { return compiled = runtime::Model::load(a.model, fresh); });
    stages.push_back(compile);
  }
  // A load: the model from its program (read and verify a .npub; check and
  // verify the compiled program) and a runner (place weights and code in
  // device DRAM, open the PEs).
  uint64_t dram = 0;
  auto load = [&] {
    auto model = compiled ? runtime::Model::from_program(compiled->program(), a.model, hw)
                          : runtime::Model::load(a.model, mo);
    auto runner = std::make_unique<runtime::Runner>(model, ro);
    dram = runner->stats().dram_bytes;
    return runner;
  };
  Stage first{"first load", "wall, 1 run"};
  measure(first, load);
  first.device = "DRAM " + mib(double(dram));
  stages.push_back(first);
  Stage warm{"warm load", "wall, min of " + std::to_string(a.loads)};
  for (int i = 0; i < a.loads; ++i) measure(warm, load);
  warm.device = "DRAM " + mib(double(dram));
  stages.push_back(warm);

  auto model = compiled ? compiled : runtime::Model::load(a.model, mo);
  ro.device_trace = true;  // per-layer cycles; costs no simulated time
  runtime::Runner runner(model, ro);
  Stage inference{"inference", "simulated, min of " + std::to_string(a.runs)};
  const Inference inf = infer(runner, *model, a.runs, *ro.host, inference);
  inference.device = "SRAM " + mib(double(runtime::sram_high_water(model->program()))) +
                     " per PE (high-water mark), DRAM " + mib(double(dram));
  stages.push_back(inference);

  print_stages(a, hw, stages, inf);
  if (!a.quiet_layers) print_layers(inf.layers, inf.best.request);
  if (!a.csv.empty()) write_text_file(a.csv, runtime::layer_csv(inf.layers));
  const bool whole = !a.json.empty() || !a.html.empty();
  const std::string trace = whole || !a.trace.empty() ? runtime::chrome_trace(inf.stats) : "";
  if (!a.trace.empty()) write_text_file(a.trace, trace);
  if (whole) {
    nlohmann::json j = profile_json(a, hw, *model, stages, inf, trace);
    if (!a.accuracy.empty()) j["accuracy"] = read_json_file(a.accuracy);
    if (!a.json.empty()) write_text_file(a.json, j.dump(1) + "\n");
    if (!a.html.empty()) write_text_file(a.html, report::profile_html(j));
  }
  return 0;
}

}  // namespace npusim::cli
