// npusim split: cooperative inference across unlike units (docs/coop.md).
// For each batch size, every unit alone, then the units together on the
// split searched from their measured time curves; prints the table of
// throughput against batch size (alone, together, the gain), picks the
// batch size of highest combined throughput (within --latency-bound), and
// writes the figures as JSON, a plot and the best batch's Chrome trace.
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "commands.hpp"
#include "input_options.hpp"
#include "npusim/common/files.hpp"
#include "npusim/runtime/split_search.hpp"
#include "npusim/runtime/trace.hpp"
#include "npusim/sim/in_process_device.hpp"
#include "parse_options.hpp"
#include "unit_options.hpp"

namespace po = boost::program_options;

namespace npusim::cli {
namespace {

constexpr const char* kPython = "/usr/bin/python3";  // Debian's, which sees python3-matplotlib

struct SplitArgs {
  std::string model, devices, batch_sizes = "1,2,4,8,16,32,64", json, plot, trace;
  std::vector<std::string> input_shapes;
  double latency_bound_us = 0;
  int workers = 8, rounds = 3;
  bool arithmetic = false, quiet = false;
  UnitHwOptions hw;
};

std::vector<int64_t> parse_batch_sizes(const std::string& text) {
  std::vector<int64_t> sizes;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    size_t used = 0;
    int64_t v = 0;
    try {
      v = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != item.size() || v < 1 || v > 65536)
      throw UsageError("--batch-sizes: \"" + item + "\" is not a batch size (1 ... 65536)");
    if (!sizes.empty() && v <= sizes.back())
      throw UsageError("--batch-sizes: give them in increasing order (" + text + ")");
    sizes.push_back(v);
  }
  if (sizes.empty()) throw UsageError("--batch-sizes: give at least one, e.g. 1,16,64");
  return sizes;
}

SplitArgs parse(const Args& args) {
  SplitArgs a;
  po::options_description desc("split options");
  auto add = desc.add_options();
  add("model", po::value(&a.model)->required()->value_name("MODEL"), "int8 QDQ .onnx");
  add("devices,d", po::value(&a.devices)->required()->value_name("UNITS"),
      "units, e.g. npu0pe0,cpu or npu0,npu1 (docs/coop.md)");
  add("batch-sizes", po::value(&a.batch_sizes)->value_name("N,N,..."),
      "batch sizes to measure, increasing (1,2,4,8,16,32,64)");
  add("latency-bound", po::value(&a.latency_bound_us)->value_name("US"),
      "pick the best batch whose latency (start to merge) is within US microseconds");
  add("workers,w", po::value(&a.workers)->value_name("W"), "requests in flight per NPU unit (8)");
  add("rounds", po::value(&a.rounds)->value_name("R"),
      "combined runs per batch size while the split search improves (3)");
  add("input-shape", po::value(&a.input_shapes)->composing()->value_name("NAME=DIMS"),
      "dynamic input dims");
  add("arithmetic", po::bool_switch(&a.arithmetic),
      "compute outputs too and check the merged ones against the reference executor");
  add("output,o", po::value(&a.json)->value_name("FILE.json"), "write the figures as JSON");
  add("plot", po::value(&a.plot)->value_name("FILE.png"),
      "plot throughput and gain against batch size (matplotlib; .svg works too)");
  add("trace,T", po::value(&a.trace)->value_name("FILE.json"),
      "write the best batch's Chrome/Perfetto trace (a lane per unit, the split and merge)");
  add("quiet,q", po::bool_switch(&a.quiet), "no progress on stderr");
  add("hw", po::value(&a.hw.files)->composing()->value_name("[npuN:]FILE"),
      "hardware file, for every chip or for one (--hw npu1:slow.txt)");
  add("set", po::value(&a.hw.assignments)->composing()->value_name("[npuN.|cpu.]KEY=VALUE"),
      "one parameter, for every chip, one chip (--set npu1.clock=1GHz) or the CPU unit "
      "(--set cpu.cores=4, cpu.gmacs=20, cpu.measured=1)");
  po::positional_options_description pos;
  pos.add("model", 1);
  parse_options(args, "npusim split MODEL -d UNITS [--batch-sizes 1,16,...] [options]", desc, pos);
  if (a.workers < 1 || a.workers > 1024)
    throw UsageError("-w/--workers must be between 1 and 1024, got " + std::to_string(a.workers));
  if (a.rounds < 1 || a.rounds > 100)
    throw UsageError("--rounds must be between 1 and 100, got " + std::to_string(a.rounds));
  if (a.latency_bound_us < 0) throw UsageError("--latency-bound must be at least 0");
  for (const std::string& path : {a.json, a.plot, a.trace})
    if (!path.empty()) files::check_writable(path);
  return a;
}

// Query q's inputs: zeros for timing-only runs; with --arithmetic, values
// of its own (seeded by q) so that a merge out of order would show.
runtime::QueryInputs query_inputs(const std::vector<runtime::TensorDesc>& descs, bool arithmetic) {
  std::vector<runtime::Tensor> zeros;
  for (const auto& d : descs) zeros.emplace_back(d.dtype, d.shape);
  return [descs, zeros, arithmetic](int64_t q) {
    if (!arithmetic) return zeros;
    std::vector<runtime::Tensor> in = zeros;
    std::mt19937 rng(uint32_t(1000 + q));
    for (auto& t : in) {
      if (t.dtype() == compiler::DType::kFloat32) {
        std::uniform_real_distribution<float> u(0.0f, 1.0f);
        for (float& v : t.as<float>()) v = u(rng);
      } else {
        for (uint8_t& b : t.raw()) b = uint8_t(rng());
      }
    }
    return in;
  };
}

std::string shares_text(const std::vector<int64_t>& shares) {
  std::string s;
  for (int64_t v : shares) s += (s.empty() ? "" : ":") + std::to_string(v);
  return s;
}

void print_table(const runtime::CoopRunner& runner, const std::vector<runtime::BatchPoint>& points,
                 std::ostream& out) {
  const auto& units = runner.units();
  std::string names;
  for (const auto& u : units) names += (names.empty() ? "" : ":") + u.spec.name;
  out << std::setw(6) << "batch";
  for (const auto& u : units) out << std::setw(12) << (u.spec.name + " q/s");
  const int split_width = int(std::max<size_t>(16, names.size() + 8));
  out << std::setw(12) << "sum q/s" << std::setw(14) << "together q/s" << std::setw(split_width)
      << ("split " + names) << std::setw(8) << "gain" << std::setw(9) << "of sum" << std::setw(13)
      << "latency ms"
      << "\n";
  for (const auto& p : points) {
    out << std::fixed << std::setprecision(1) << std::setw(6) << p.batch;
    for (double q : p.alone_qps) out << std::setw(12) << q;
    out << std::setw(12) << p.sum_alone_qps() << std::setw(14) << p.combined_qps
        << std::setw(split_width) << shares_text(p.shares) << std::setprecision(2) << std::setw(7)
        << p.gain() << "x" << std::setprecision(1) << std::setw(7) << 100 * p.efficiency() << " %"
        << std::setprecision(3) << std::setw(13) << p.combined_span_us / 1e3 << "\n";
  }
}

// Where the best batch's time went: each unit's part, how long it took
// against the batch's latency (the rest it waits for the slowest), and the merge.
void print_profile(const runtime::CoopRunner& runner, const runtime::BatchResult& r,
                   std::ostream& out) {
  uint64_t end = 0;
  for (const auto& part : r.parts) end = std::max(end, part.span_ps);
  out << "profile  the best batch, unit by unit (busy: share of the batch's " << std::fixed
      << std::setprecision(3) << double(r.span_ps) / 1e9 << " ms)\n";
  for (const auto& part : r.parts)
    out << "         " << std::left << std::setw(6) << runner.units()[part.unit].spec.name
        << std::right << "queries " << part.first << "-" << part.first + part.count - 1 << ", "
        << std::setprecision(3) << double(part.span_ps) / 1e9 << " ms, busy "
        << std::setprecision(1) << 100.0 * double(part.span_ps) / double(r.span_ps) << " %\n";
  if (r.span_ps > end)
    out << "         merge " << std::setprecision(1) << double(r.span_ps - end) / 1e6
        << " us (the parts' results handed over in query order)\n";
}

// The best batch's profile for the JSON: each unit's part and the merge.
nlohmann::json profile_json(const runtime::CoopRunner& runner, const runtime::BatchResult& r) {
  nlohmann::json j = {{"latency_us", double(r.span_ps) / 1e6}, {"parts", nlohmann::json::array()}};
  uint64_t end = 0;
  for (const auto& part : r.parts) {
    end = std::max(end, part.span_ps);
    j["parts"].push_back({{"unit", runner.units()[part.unit].spec.name},
                          {"first", part.first},
                          {"count", part.count},
                          {"span_us", double(part.span_ps) / 1e6},
                          {"busy", double(part.span_ps) / double(r.span_ps)},
                          {"cut", runner.cut(part.unit)}});
  }
  j["merge_us"] = double(r.span_ps - end) / 1e6;
  return j;
}

nlohmann::json to_json(const SplitArgs& a, const runtime::CoopRunner& runner,
                       const std::vector<runtime::BatchPoint>& points, size_t best) {
  nlohmann::json j;
  j["model"] = a.model;
  j["devices"] = a.devices;
  j["latency_bound_us"] = a.latency_bound_us;
  for (size_t i = 0; i < runner.units().size(); ++i) {
    const auto& u = runner.units()[i];
    nlohmann::json unit = {
        {"name", u.spec.name}, {"describe", u.spec.describe()}, {"cut", runner.cut(i)}};
    if (u.spec.kind == runtime::UnitKind::kNpu)
      for (const auto& [k, v] : isa::describe(u.hw)) unit["hardware"][k] = v;
    else
      unit["cpu"] = {{"cores", u.cpu.cores},       {"gmacs_per_core", u.cpu.gmacs_per_core},
                     {"node_ns", u.cpu.node_ns},   {"element_ns", u.cpu.ns_per_element},
                     {"query_ns", u.cpu.query_ns}, {"measured", u.cpu.measured}};
    j["units"].push_back(unit);
  }
  for (const auto& p : points)
    j["points"].push_back({{"batch", p.batch},
                           {"alone_qps", p.alone_qps},
                           {"sum_qps", p.sum_alone_qps()},
                           {"combined_qps", p.combined_qps},
                           {"shares", p.shares},
                           {"gain", p.gain()},
                           {"efficiency", p.efficiency()},
                           {"latency_us", p.combined_span_us}});
  j["best"] = best == runtime::kNoBatch ? nlohmann::json() : nlohmann::json(points[best].batch);
  return j;
}

std::string plot_script() {
  if (const char* s = std::getenv("NPUSIM_SPLIT_PLOT_SCRIPT"); s && *s) return s;
  return NPUSIM_SPLIT_PLOT_SCRIPT;
}

// Runs the matplotlib script on the figures (a JSON file next to the plot).
void draw(const std::string& json_path, const std::string& plot) {
  const std::string script = plot_script();
  if (::access(kPython, X_OK) != 0)
    throw std::runtime_error(std::string(kPython) + " is missing: run scripts/install-deps.sh");
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::execl(kPython, kPython, script.c_str(), json_path.c_str(), plot.c_str(), nullptr);
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error(script + " failed to draw " + plot);
}

// Each merged query's outputs against the reference executor on its inputs.
void check_outputs(const SplitArgs& a, const runtime::CoopRunner& runner,
                   const runtime::BatchResult& r, const runtime::QueryInputs& inputs) {
  std::map<std::string, compiler::Shape> shapes;
  for (const auto& s : a.input_shapes) shapes.insert(parse_input_shape(s));
  const runtime::CpuUnit reference(a.model, shapes, {});
  for (size_t q = 0; q < r.outputs.size(); ++q) {
    const auto in = inputs(int64_t(q));
    compiler::TensorMap named;
    for (size_t i = 0; i < runner.inputs().size(); ++i) named[runner.inputs()[i].name] = in[i];
    const compiler::TensorMap want = reference.run(named);
    for (size_t o = 0; o < runner.outputs().size(); ++o)
      if (r.outputs[q].at(o).raw() != want.at(runner.outputs()[o].name).raw())
        throw std::runtime_error("query " + std::to_string(q) + ", output " +
                                 runner.outputs()[o].name +
                                 ": the merged result differs from the reference executor's");
  }
}

}  // namespace

int cmd_split(const Args& args) {
  const SplitArgs a = parse(args);
  const std::vector<int64_t> batch_sizes = parse_batch_sizes(a.batch_sizes);
  runtime::CoopOptions co;
  co.model = a.model;
  for (const auto& s : a.input_shapes) co.input_shapes.insert(parse_input_shape(s));
  co.units = resolve_units(a.devices, a.hw);
  co.device = [](const isa::HwParams& hw, bool timing_only) {
    return sim::in_process_device({hw, timing_only});
  };
  co.timing_only = !a.arithmetic;
  co.workers = a.workers;
  runtime::CoopRunner runner(co);
  const runtime::QueryInputs inputs = query_inputs(runner.inputs(), a.arithmetic);

  const bool terminal = isatty(STDERR_FILENO) && !a.quiet;
  const auto t0 = std::chrono::steady_clock::now();
  runtime::SearchOptions so;
  so.batch_sizes = batch_sizes;
  so.rounds = a.rounds;
  if (!a.quiet)
    so.progress = [&](const std::string& step) {
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::cerr << (terminal ? "\r\033[K" : "") << "split: " << step << " (" << std::fixed
                << std::setprecision(0) << s << " s)" << (terminal ? "" : "\n") << std::flush;
    };
  const std::vector<runtime::BatchPoint> points = runtime::search_batches(runner, inputs, so);
  if (terminal) std::cerr << "\r\033[K" << std::flush;

  std::cout << "model    " << a.model << (a.arithmetic ? "" : ", timing-only") << "\n";
  for (size_t i = 0; i < runner.units().size(); ++i)
    std::cout << (i ? "         " : "units    ") << runner.units()[i].spec.describe() << ": "
              << runner.cut(i) << "\n";
  print_table(runner, points, std::cout);
  const size_t best = runtime::best_batch(points, a.latency_bound_us);
  nlohmann::json figures = to_json(a, runner, points, best);
  if (best != runtime::kNoBatch) {
    const runtime::BatchPoint& p = points[best];
    std::cout << std::fixed << std::setprecision(1) << "best     batch " << p.batch << ": "
              << p.combined_qps << " queries/s, split " << shares_text(p.shares) << ", "
              << std::setprecision(2) << p.gain() << "x the best unit alone, "
              << std::setprecision(1) << 100 * p.efficiency() << " % of the units' sum, latency "
              << std::setprecision(3) << p.combined_span_us / 1e3 << " ms"
              << (a.latency_bound_us > 0 ? " (within the bound)" : "") << "\n";
    // The best batch once more: its profile, timeline and outputs.
    runtime::CoopOptions again = co;
    again.keep_timeline = !a.trace.empty();
    runtime::CoopRunner rerun(again);
    const runtime::BatchResult r = rerun.run(p.shares, inputs);
    print_profile(rerun, r, std::cout);
    figures["best_profile"] = profile_json(rerun, r);
    if (!a.trace.empty()) files::write_file(a.trace, runtime::chrome_trace(r.timeline));
    if (a.arithmetic) {
      check_outputs(a, rerun, r, inputs);
      std::cout << "outputs  the " << r.outputs.size()
                << " queries merged in order equal the reference executor's, element for "
                   "element\n";
    }
  }
  if (!a.json.empty() || !a.plot.empty()) {
    const std::string json = a.json.empty() ? a.plot + ".json" : a.json;
    files::write_file(json, figures.dump(2) + "\n");
    if (!a.plot.empty()) draw(json, a.plot);
  }
  if (best == runtime::kNoBatch) {
    std::cerr << "npusim split: error: no batch size meets the latency bound of "
              << a.latency_bound_us
              << " us (the smallest latency measured: " << points.front().combined_span_us
              << " us)\n";
    return 1;
  }
  return 0;
}

}  // namespace npusim::cli
