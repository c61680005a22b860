// npusim profile: the stages AI Hub reports for a model on a device (compile,
// first load, warm load, inference as the minimum over N runs of one input),
// each with its time and memory: host process memory (peak and increase)
// for compile and load, device DRAM for load and inference.
#include <chrono>
#include <fstream>
#include <iomanip>
#include <iostream>

#include "commands.hpp"
#include "hw_options.hpp"
#include "input_options.hpp"
#include "model_options.hpp"
#include "npusim/runtime/device_list.hpp"
#include "npusim/runtime/runner.hpp"
#include "npusim/sim/in_process_device.hpp"
#include "parse_options.hpp"

namespace po = boost::program_options;

namespace npusim::cli {
namespace {

using Clock = std::chrono::steady_clock;

// The host process's resident memory now and at its peak, in MiB (/proc).
struct HostMemory {
  double rss = 0, peak = 0;
};

HostMemory host_memory() {
  std::ifstream status("/proc/self/status");
  HostMemory m;
  for (std::string line; std::getline(status, line);) {
    const auto kib = [&] { return std::stod(line.substr(line.find(':') + 1)) / 1024.0; };
    if (line.rfind("VmRSS:", 0) == 0) m.rss = kib();
    if (line.rfind("VmHWM:", 0) == 0) m.peak = kib();
  }
  return m;
}

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

struct Stage {
  std::string name;
  double ms = 0;  // wall for compile and loads, simulated for inference
  std::string time_kind, memory;
};

std::string mib(double v) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(1) << v << " MiB";
  return s.str();
}

std::string host_range(const HostMemory& before, const HostMemory& after) {
  return "host peak " + mib(after.peak) + ", increase " +
         mib(std::max(0.0, after.rss - before.rss));
}

struct ProfileArgs {
  std::string model, devices;
  std::vector<std::string> input_shapes;
  int runs = 10;
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
  add("input-shape", po::value(&a.input_shapes)->composing()->value_name("NAME=DIMS"),
      "ONNX: dynamic input dims");
  add_hw_options(desc, a.hw);
  po::positional_options_description pos;
  pos.add("model", 1);
  parse_options(args, "npusim profile MODEL [options]", desc, pos);
  if (a.runs < 1) throw UsageError("--runs must be at least 1");
  return a;
}

}  // namespace

int cmd_profile(const Args& args) {
  const ProfileArgs a = parse(args);
  const isa::HwParams hw = resolve_hw(a.hw);
  runtime::ModelOptions mo = model_options(hw, a.devices, a.input_shapes);
  runtime::RunnerOptions ro;
  ro.transport = sim::in_process_device({hw, false});
  ro.devices = a.devices;
  std::vector<Stage> stages;

  HostMemory before = host_memory();
  auto t0 = Clock::now();
  runtime::ModelOptions fresh = mo;
  fresh.cache_dir = "none";
  auto model = runtime::Model::load(a.model, fresh);
  if (model->compiled_from_onnx())
    stages.push_back({"compile", ms_since(t0), "wall", host_range(before, host_memory())});

  before = host_memory();
  t0 = Clock::now();
  uint64_t dram = 0;
  {
    runtime::Runner first(model, ro);
    dram = first.stats().dram_bytes;
    stages.push_back(
        {"first load", ms_since(t0), "wall",
         host_range(before, host_memory()) + "; device DRAM " + mib(dram / 1048576.0)});
  }
  before = host_memory();
  t0 = Clock::now();
  auto warm_model = runtime::Model::load(a.model, mo);  // the compile cache, if ONNX
  runtime::Runner runner(warm_model, ro);
  stages.push_back({"warm load", ms_since(t0), "wall",
                    host_range(before, host_memory()) + "; device DRAM " +
                        mib(runner.stats().dram_bytes / 1048576.0)});

  std::vector<runtime::Tensor> inputs;
  for (const auto& d : warm_model->inputs()) inputs.emplace_back(d.dtype, d.shape);
  double best = 0;
  for (int i = 0; i < a.runs; ++i) {
    runner.run(inputs);
    const double us = double(runner.last_timing().latency_ps()) / 1e9;
    best = i == 0 ? us : std::min(best, us);
  }
  stages.push_back({"inference", best, "simulated, min of " + std::to_string(a.runs),
                    "device DRAM " + mib(runner.stats().dram_bytes / 1048576.0)});

  std::cout << "model      " << a.model << " on " << runner.last_timing().device << " (" << hw.name
            << ")\n";
  for (const auto& s : stages)
    std::cout << "  " << std::left << std::setw(12) << s.name << std::right << std::fixed
              << std::setprecision(3) << std::setw(10) << s.ms << " ms  (" << s.time_kind << ")  "
              << s.memory << "\n";
  return 0;
}

}  // namespace npusim::cli
