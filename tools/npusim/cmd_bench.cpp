// npusim bench: throughput and latency of a model on the simulated NPU, with
// the flags users know from furiosa-bench and trtexec. All figures are
// simulated time; PE utilisation comes from the device's counters.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "closed_loop.hpp"
#include "commands.hpp"
#include "fault_options.hpp"
#include "host_speed.hpp"
#include "hw_options.hpp"
#include "input_options.hpp"
#include "model_options.hpp"
#include "npusim/common/files.hpp"
#include "npusim/common/limits.hpp"
#include "npusim/runtime/device_list.hpp"
#include "npusim/runtime/runner.hpp"
#include "npusim/runtime/trace.hpp"
#include "npusim/sim/in_process_device.hpp"
#include "parse_options.hpp"
#include "runner_comparison.hpp"
#include "version.hpp"

namespace po = boost::program_options;

namespace npusim::cli {
namespace {

struct BenchArgs {
  std::string model, devices, workload = "T", json, trace, compare;
  std::vector<std::string> input_shapes;
  int64_t queries = 100;  // unless --duration
  double duration = 0;    // > 0: wall-clock seconds instead of -n
  int batch = -1;         // -b; not given: ONNX one image, a .npub its own batch
  int workers = 8, io_threads = 0;
  bool arithmetic = false, compare_runners = false;
  double pre_us = 2000, post_us = 3000;
  HwOptions hw;
  FaultOptions faults;
  uint32_t seed = 1;
  runtime::FaultInjection inject;  // parsed from faults
};

// What the finished requests measured, accumulated as they finish (their
// outputs are dropped at once: memory stays flat however many queries run).
struct Tally {
  std::vector<double> latency_us;  // 8 bytes per query
  double host_us = 0, cpu_us = 0, h2d_us = 0, compute_us = 0, d2h_us = 0, device_us = 0;
  uint64_t failed = 0;
  std::string first_error;
  uint64_t first_end_ps = UINT64_MAX, last_end_ps = 0;  // of the successful requests

  void add(const runtime::RequestTiming& t) {
    first_end_ps = std::min(first_end_ps, t.end_ps);
    last_end_ps = std::max(last_end_ps, t.end_ps);
    latency_us.push_back(double(t.latency_ps()) / 1e6);
    host_us += double(t.host_ps) / 1e6;
    cpu_us += double(t.cpu_ps) / 1e6;
    h2d_us += double(t.h2d_ps) / 1e6;
    compute_us += double(t.compute_ps) / 1e6;
    d2h_us += double(t.d2h_ps) / 1e6;
    device_us += double(t.device_ps) / 1e6;
  }
};

struct Figures {
  double qps = 0, span_ms = 0;
  std::map<std::string, double> latency_us;  // min, max, mean, p50, ...
  double host_us = 0, cpu_us = 0, h2d_us = 0, compute_us = 0, d2h_us = 0, device_us = 0;
  std::vector<std::string> warnings;
};

// Nearest-rank percentile of sorted values.
double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * double(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

Figures figures(const Tally& tally, const runtime::SessionStats& s, int host_cores, int devices) {
  Figures f;
  std::vector<double> lat = tally.latency_us;
  f.host_us = tally.host_us;
  f.cpu_us = tally.cpu_us;
  f.h2d_us = tally.h2d_us;
  f.compute_us = tally.compute_us;
  f.d2h_us = tally.d2h_us;
  f.device_us = tally.device_us;
  const double n = std::max<double>(1, double(lat.size()));
  for (double* v : {&f.host_us, &f.cpu_us, &f.h2d_us, &f.compute_us, &f.d2h_us, &f.device_us})
    *v /= n;
  std::sort(lat.begin(), lat.end());
  double sum = 0;
  for (double v : lat) sum += v;
  f.latency_us = {{"min", lat.empty() ? 0 : lat.front()},
                  {"max", lat.empty() ? 0 : lat.back()},
                  {"mean", sum / n},
                  {"p50", percentile(lat, 50)},
                  {"p95", percentile(lat, 95)},
                  {"p99", percentile(lat, 99)},
                  {"p99.9", percentile(lat, 99.9)}};
  f.span_ms = double(s.span_ps()) / 1e9;
  f.qps = s.span_ps() ? double(lat.size()) / (double(s.span_ps()) / 1e12) : 0;
  if (f.h2d_us + f.d2h_us > f.compute_us)
    f.warnings.push_back("transfer-bound: H2D + D2H take longer than compute");
  if (f.host_us / host_cores > f.device_us / devices)
    f.warnings.push_back("host-bound: host work per request / host cores exceeds device time");
  if (f.cpu_us > f.compute_us)
    f.warnings.push_back("CPU-fallback-bound: the CPU segments take longer than NPU compute");
  return f;
}

void print(const BenchArgs& a, const Figures& f, const runtime::SessionStats& s, size_t queries,
           uint64_t failed, int batch) {
  const auto& pes = s.pes;
  std::cout << std::fixed << std::setprecision(1) << "model      " << a.model << "\n"
            << "workload   " << (a.workload == "L" ? "latency (one at a time)" : "throughput")
            << ", " << queries << " queries, " << (a.workload == "L" ? 1 : a.workers)
            << " worker(s), devices " << (a.devices.empty() ? "(default)" : a.devices)
            << (a.arithmetic ? "" : ", timing-only") << "\n"
            << "QPS        " << f.qps << "  (" << f.span_ms << " ms simulated)\n";
  if (batch > 1)  // a query is a batch: latency per batch, throughput in images
    std::cout << "batch      " << batch << " images per query: " << f.qps * batch
              << " inferences/s (latency and per-query figures are per batch)\n";
  std::cout << "latency us";
  for (const char* k : {"min", "max", "mean", "p50", "p95", "p99", "p99.9"})
    std::cout << "  " << k << " " << f.latency_us.at(k);
  std::cout << "\nper query  host " << f.host_us << " us (CPU segments " << f.cpu_us << ")  H2D "
            << f.h2d_us << "  compute " << f.compute_us << "  D2H " << f.d2h_us << " us\n";
  for (const auto& p : pes)
    std::cout << p.pe << "    NPU% " << p.npu_percent() << "  Comp% " << p.comp_percent()
              << "  I/O% " << p.io_percent() << "\n";
  // After the figures, so the report starts with model, workload and QPS as before.
  std::cout << "requests   " << queries - failed << " succeeded, " << failed << " failed, "
            << s.retried << " retried, " << s.recovered << " recovered; device resets "
            << s.device_resets
            << (a.faults.inject.empty() ? "" : " (--inject " + a.faults.inject + ")") << "\n";
  for (const auto& w : f.warnings) std::cout << "warning    " << w << "\n";
}

// Simulated cycles of the stretch HostStopwatch measures: from the first
// result to the last (or the whole span for one query).
uint64_t simulated_cycles(const Tally& tally, const runtime::SessionStats& s,
                          const isa::HwParams& hw) {
  const uint64_t ps =
      tally.latency_us.size() > 1 ? tally.last_end_ps - tally.first_end_ps : s.span_ps();
  return ps / isa::clock_period_ps(hw.clock_hz);
}

// The simulator's own speed: host time per query and simulated cycles per host second.
void print_speed(const HostSpeed& h) {
  std::cout << std::fixed << std::setprecision(2) << "simulator  " << h.wall_ms_per_query()
            << " ms of host time per query (CPU " << h.cpu_ms_per_query() << " ms), "
            << std::setprecision(1) << h.cycles_per_second() / 1e6
            << " M simulated cycles per host second\n";
}

void write_json(const BenchArgs& a, const isa::HwParams& hw, const runtime::Model& m,
                const Figures& f, const runtime::SessionStats& s, size_t queries, uint64_t failed,
                const HostSpeed& speed) {
  const auto& pes = s.pes;
  nlohmann::json j;
  j["model"] = {{"path", a.model}, {"fnv1a64", m.source_hash()}};
  j["npusim_version"] = kVersion;
  for (const auto& [k, v] : isa::describe(hw)) j["hardware"][k] = v;
  j["mode"] = isa::mode_name(m.program().mode);
  j["devices"] = a.devices;
  j["workload"] = a.workload;
  j["queries"] = queries;
  j["requests"] = {{"succeeded", queries - failed},
                   {"failed", failed},
                   {"retried", s.retried},
                   {"recovered", s.recovered},
                   {"device_resets", s.device_resets}};
  if (!a.faults.inject.empty()) j["inject"] = {{"spec", a.faults.inject}, {"seed", a.seed}};
  const int batch = m.program().batch;
  j["batch_size"] = batch;
  j["inferences_per_second"] = f.qps * batch;  // qps counts queries, each a batch
  j["workers"] = a.workload == "L" ? 1 : a.workers;
  j["timing_only"] = !a.arithmetic;
  j["total_run_time_ms"] = f.span_ms;
  j["qps"] = f.qps;
  j["latency_us"] = f.latency_us;
  j["per_query_us"] = {{"host", f.host_us}, {"cpu_segments", f.cpu_us},
                       {"h2d", f.h2d_us},   {"compute", f.compute_us},
                       {"d2h", f.d2h_us},   {"device", f.device_us}};
  for (const auto& p : pes)
    j["pes"][p.pe] = {{"npu", p.npu_percent()}, {"comp", p.comp_percent()}, {"io", p.io_percent()}};
  j["warnings"] = f.warnings;
  j["simulator"] = {{"host_ms_per_query", speed.wall_ms_per_query()},
                    {"cpu_ms_per_query", speed.cpu_ms_per_query()},
                    {"simulated_cycles", speed.simulated_cycles},
                    {"simulated_cycles_per_host_second", speed.cycles_per_second()}};
  files::write_file(a.json, j.dump(2) + "\n");
}

// Every count and duration within docs/limits.md, and -n or --duration,
// not both (neither: 100 queries).
void check(BenchArgs& a, bool queries_given, bool duration_given) {
  if (a.workload != "L" && a.workload != "T") throw UsageError("--workload takes L or T");
  if (a.batch != -1) checked_batch(a.batch);
  if (a.workers < 1 || a.workers > limits::kMaxWorkers)
    throw UsageError("-w/--workers must be between 1 and " + std::to_string(limits::kMaxWorkers) +
                     ", got " + std::to_string(a.workers));
  if (a.io_threads < 0 || a.io_threads > 1024)
    throw UsageError("-t/--io-threads must be between 0 (host_cores) and 1024, got " +
                     std::to_string(a.io_threads));
  if (queries_given && duration_given)
    // Two ways to say when to stop: taking one over the other silently ran a
    // different experiment than the user asked for.
    throw UsageError("-n/--queries and --duration both say when to stop; give one of them");
  if (queries_given && (a.queries < 1 || uint64_t(a.queries) > limits::kMaxQueries))
    throw UsageError("-n/--queries must be between 1 and " + std::to_string(limits::kMaxQueries) +
                     ", got " + std::to_string(a.queries));
  if (duration_given && !(a.duration > 0 && a.duration <= limits::kMaxDurationSeconds))
    throw UsageError("--duration must be more than 0 and at most " +
                     std::to_string(int64_t(limits::kMaxDurationSeconds)) + " seconds, got " +
                     std::to_string(a.duration));
  if (duration_given) a.queries = 0;
}

BenchArgs parse(const Args& args) {
  BenchArgs a;
  po::options_description desc("bench options");
  auto add = desc.add_options();
  add("model", po::value(&a.model)->required()->value_name("MODEL"), ".onnx (int8 QDQ) or .npub");
  add("queries,n", po::value(&a.queries)->value_name("N"),
      "queries to run (default 100; not with --duration)");
  add("duration", po::value(&a.duration)->value_name("S"),
      "keep submitting for S seconds of wall time (instead of -n)");
  add("batch,b", po::value(&a.batch)->value_name("B"),
      "images per query, 1 ... 256 (ONNX: compiled for it; a .npub: its own batch); QPS counts "
      "batches, inferences/s images");
  add("workers,w", po::value(&a.workers)->value_name("W"),
      "requests in flight for -workload T (8)");
  add("io-threads,t", po::value(&a.io_threads)->value_name("T"), "host cores (host_cores)");
  add("devices,d", po::value(&a.devices)->value_name("D"), "npu0pe0, npu0pe0-1, npu0pe0,npu0pe1");
  add("workload", po::value(&a.workload)->value_name("L|T"), "L: latency, T: throughput (T)");
  add("output,o", po::value(&a.json)->value_name("FILE.json"), "write the figures as JSON");
  add("trace,T", po::value(&a.trace)->value_name("FILE.json"), "write a Chrome/Perfetto trace");
  add("input-shape", po::value(&a.input_shapes)->composing()->value_name("NAME=DIMS"),
      "ONNX: dynamic input dims");
  add("arithmetic", po::bool_switch(&a.arithmetic), "compute outputs too (default timing-only)");
  add("compare-runners", po::bool_switch(&a.compare_runners),
      "the Warboy tutorial's experiment: -n frames through the sync runner, the async "
      "runner with -w workers and the queue, each frame with host pre- and post-processing");
  add("compare", po::value(&a.compare)->value_name("D"),
      "--compare-runners: also on this device list, e.g. npu0pe0,npu0pe1 or npu0pe0-1");
  add("pre-us", po::value(&a.pre_us)->value_name("US"),
      "--compare-runners: host preprocessing per frame, us (2000)");
  add("post-us", po::value(&a.post_us)->value_name("US"),
      "--compare-runners: host decode + NMS per frame, us (3000)");
  add("seed", po::value(&a.seed)->value_name("N"), "--inject random's seed (1)");
  add_fault_options(desc, a.faults);
  add_hw_options(desc, a.hw);
  po::positional_options_description pos;
  pos.add("model", 1);
  const po::variables_map vm = parse_options(args, "npusim bench MODEL [options]", desc, pos);
  check(a, vm.count("queries") > 0, vm.count("duration") > 0);
  a.inject = fault_injection(a.faults, a.seed);
  return a;
}

// --compare-runners: the runner experiment (runner_comparison.hpp).
int compare_runners_command(const BenchArgs& a, const isa::HwParams& hw) {
  if (a.duration > 0) throw UsageError("--compare-runners runs -n frames, not --duration");
  if (!a.json.empty() || !a.trace.empty())
    throw UsageError("--compare-runners prints a table; -o and -T are for the plain bench");
  if (!a.faults.inject.empty()) throw UsageError("--inject is for the plain bench");
  if (a.batch > 1)
    throw UsageError("--compare-runners runs one frame per request; -b is for the plain bench");
  RunnerComparison c;
  c.model = a.model;
  c.devices = a.devices.empty() ? "npu0pe0" : a.devices;
  c.compare = a.compare;
  c.frames = int(a.queries);
  c.workers = a.workers;
  c.pre_us = a.pre_us;
  c.post_us = a.post_us;
  c.arithmetic = a.arithmetic;
  c.hw = hw;
  compare_runners(c, std::cout, std::cerr, isatty(STDERR_FILENO));
  return 0;
}

// Runs the queries closed-loop (closed_loop.hpp: the timeline of submitting
// them all at once, memory for the ones in flight only) and tallies each
// result as it comes, dropping its outputs.
Tally run_queries(runtime::AsyncRunner& runner, const std::vector<runtime::Tensor>& inputs,
                  const BenchArgs& a, HostStopwatch& stopwatch) {
  Tally tally;
  const auto t0 = std::chrono::steady_clock::now();
  uint64_t submitted = 0;
  auto more = [&] {
    if (a.queries && submitted >= uint64_t(a.queries)) return false;
    if (!a.queries &&
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() >= a.duration)
      return false;
    ++submitted;
    return true;
  };
  // On the dispatcher thread, one at a time (closed_loop.cpp's lock).
  auto on_result = [&](runtime::Result r, std::exception_ptr error) {
    if (tally.latency_us.empty() && tally.failed == 0) stopwatch.first_result();
    if (!error) return tally.add(r.timing);
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      if (tally.failed++ == 0) tally.first_error = e.what();
    }
  };
  run_closed_loop(runner, inputs, size_t(a.workload == "L" ? 1 : a.workers), more, on_result);
  return tally;
}

// Fails before the run, not after minutes of it, when an output cannot be written.
void check_outputs_writable(const BenchArgs& a) {
  for (const std::string& path : {a.json, a.trace})
    if (!path.empty()) files::check_writable(path);
}

}  // namespace

int cmd_bench(const Args& args) {
  const BenchArgs a = parse(args);
  isa::HwParams hw = resolve_hw(a.hw);
  if (a.io_threads > 0) hw.host_cores = a.io_threads;
  if (a.compare_runners) return compare_runners_command(a, hw);
  check_outputs_writable(a);
  if (!a.compare.empty()) throw UsageError("--compare is for --compare-runners");
  runtime::ModelOptions mo = model_options(hw, a.devices, a.input_shapes, std::max(0, a.batch));
  const auto devices = device_list(a.devices);
  const auto model = runtime::Model::load(a.model, mo);

  runtime::RunnerOptions ro;
  ro.transport = sim::in_process_device({hw, !a.arithmetic});
  ro.devices = a.devices;
  ro.worker_num = a.workload == "L" ? 1 : a.workers;
  ro.host = runtime::HostCostModel::from(hw);
  ro.timeout = std::chrono::minutes(10);
  ro.device_trace = !a.trace.empty();  // engine lanes with layer names in the trace
  // History (per-request timings, timeline) only for the trace: without
  // it, memory stays flat however many queries run.
  ro.keep_history = !a.trace.empty();
  ro.inject = a.inject;
  ro.retries = a.faults.retries;
  runtime::AsyncRunner runner(model, ro);
  std::vector<runtime::Tensor> inputs;
  for (const auto& d : model->inputs()) inputs.emplace_back(d.dtype, d.shape);
  HostStopwatch stopwatch;  // after start-up: the queries only
  const Tally tally = run_queries(runner, inputs, a, stopwatch);
  const runtime::SessionStats s = runner.stats();
  const size_t queries = tally.latency_us.size() + tally.failed;
  const HostSpeed speed = stopwatch.stop(queries, simulated_cycles(tally, s, hw));

  const Figures f = figures(tally, s, hw.host_cores, int(devices.size()));
  print(a, f, s, queries, tally.failed, model->program().batch);
  print_speed(speed);
  if (!a.json.empty()) write_json(a, hw, *model, f, s, queries, tally.failed, speed);
  if (!a.trace.empty()) files::write_file(a.trace, runtime::chrome_trace(s));
  // Failures are the point of --inject; without it, any failure is an error.
  if (tally.failed > 0 && a.faults.inject.empty()) {
    std::cerr << "npusim bench: error: " << tally.failed << " of " << queries
              << " queries failed; the first: " << tally.first_error << "\n";
    return 1;
  }
  return 0;
}

}  // namespace npusim::cli
