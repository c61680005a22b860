// runner_bench: the Warboy tutorial's experiment on the simulated NPU.
// N frames of a model with host-side pre- and post-processing (image
// preparation; box decode and NMS) through the sync runner, the async
// runner with W workers, and the queue; prints each total in simulated time
// with the NPU's utilisation, next to the two bounds the time model predicts:
//   sync  = frames x (host + device)
//   async = max(host work / host cores, device time)
// Also throughput and latency of a device list against the fused pair.
// Timing-only by default (the arithmetic is skipped; cycles are the same).
#include <spdlog/spdlog.h>

#include <boost/program_options.hpp>
#include <iomanip>
#include <iostream>
#include <thread>

#include "npusim/runtime/runner.hpp"
#include "npusim/sim/in_process_device.hpp"

namespace po = boost::program_options;
using namespace npusim;

namespace {

struct Args {
  std::string model, devices = "npu0pe0", compare;
  int frames = 1000, workers = 8, host_cores = 8;
  double pre_us = 2000, post_us = 3000;
  bool arithmetic = false;
};

struct Outcome {
  std::string name;
  runtime::SessionStats stats;
};

runtime::RunnerOptions runner_options(const Args& a, const std::string& devices, int workers) {
  runtime::RunnerOptions o;
  o.transport = sim::in_process_device({isa::HwParams{}, !a.arithmetic});
  o.devices = devices;
  o.worker_num = workers;
  runtime::HostCostModel host = runtime::HostCostModel::from(isa::HwParams{});
  host.cores = a.host_cores;
  o.host = host;
  o.preprocess = {"preprocess", [](std::vector<runtime::Tensor>&) {}, a.pre_us * 1000};
  o.postprocess = {"decode + NMS", [](std::vector<runtime::Tensor>&) {}, a.post_us * 1000};
  o.timeout = std::chrono::minutes(10);
  return o;
}

std::vector<runtime::Tensor> zero_inputs(const runtime::Model& m) {
  std::vector<runtime::Tensor> in;
  for (const auto& d : m.inputs()) in.emplace_back(d.dtype, d.shape);
  return in;
}

Outcome run_sync(const Args& a, std::shared_ptr<const runtime::Model> m, const std::string& dev) {
  runtime::Runner r(m, runner_options(a, dev, 1));
  const auto in = zero_inputs(*m);
  for (int i = 0; i < a.frames; ++i) r.run(in);
  return {"sync", r.stats()};
}

Outcome run_async(const Args& a, std::shared_ptr<const runtime::Model> m, const std::string& dev) {
  runtime::AsyncRunner r(m, runner_options(a, dev, a.workers));
  const auto in = zero_inputs(*m);
  std::vector<runtime::Future> pending;
  for (int i = 0; i < a.frames; ++i) pending.push_back(r.run_async(in));
  for (auto& f : pending) f.get();
  return {"async x" + std::to_string(a.workers), r.stats()};
}

Outcome run_queue(const Args& a, std::shared_ptr<const runtime::Model> m, const std::string& dev) {
  auto [submitter, receiver] = runtime::create_queue(m, runner_options(a, dev, a.workers));
  const auto in = zero_inputs(*m);
  std::thread producer([&, &s = submitter] {
    for (int i = 0; i < a.frames; ++i) s.submit(in, i);
    s.close();
  });
  while (receiver.recv()) {
  }
  producer.join();
  return {"queue x" + std::to_string(a.workers), receiver.stats()};
}

double ms(uint64_t ps) {
  return double(ps) / 1e9;
}

void print(const Outcome& o, int frames) {
  double util = 0;
  int pes = 0;
  for (const auto& pe : o.stats.pes)
    if (pe.cycles) util += pe.npu_percent(), ++pes;
  uint64_t lat = 0;
  for (const auto& t : o.stats.timings) lat += t.latency_ps();
  std::cout << std::fixed << std::setprecision(1) << std::left << std::setw(12) << o.name
            << std::right << std::setw(12) << ms(o.stats.span_ps()) << " ms" << std::setw(10)
            << double(frames) / (double(o.stats.span_ps()) / 1e12) << " fps" << std::setw(10)
            << ms(lat / std::max<uint64_t>(1, o.stats.timings.size())) * 1000 << " us/frame"
            << std::setw(8) << (pes ? util / pes : 0) << " % NPU\n";
}

Args parse(int argc, char** argv) {
  Args a;
  po::options_description d("runner_bench options");
  d.add_options()("help,h", "this help")("model", po::value(&a.model)->required(),
                                         "int8 QDQ .onnx or .npub")(
      "frames,n", po::value(&a.frames), "frames per runner (1000)")(
      "workers,w", po::value(&a.workers), "async/queue workers (8)")(
      "devices,d", po::value(&a.devices), "device list (npu0pe0)")(
      "compare", po::value(&a.compare), "also this device list, e.g. npu0pe0,npu0pe1")(
      "host-cores", po::value(&a.host_cores), "host lanes (8)")(
      "pre-us", po::value(&a.pre_us), "host preprocessing per frame, us (2000)")(
      "post-us", po::value(&a.post_us), "host decode + NMS per frame, us (3000)")(
      "arithmetic", po::bool_switch(&a.arithmetic), "compute outputs (slower)");
  po::variables_map vm;
  po::store(po::parse_command_line(argc, argv, d), vm);
  if (vm.count("help")) {
    std::cout << d;
    std::exit(0);
  }
  po::notify(vm);
  return a;
}

void experiment(const Args& a, std::shared_ptr<const runtime::Model> m, const std::string& dev) {
  const Outcome sync = run_sync(a, m, dev);
  const auto& t = sync.stats.timings.front();
  const double host = ms(t.host_ps), device = ms(t.device_ps);
  std::cout << "\n"
            << dev << ": one frame: host " << std::setprecision(3) << host << " ms (pre/post "
            << (a.pre_us + a.post_us) / 1000 << "), device " << device
            << " ms\n  bounds: sync = frames x (host + device) = " << std::setprecision(1)
            << a.frames * (host + device) << " ms; async >= max(frames x host / " << a.host_cores
            << " cores, frames x device / devices) = "
            << std::max(a.frames * host / a.host_cores,
                        a.frames * device / double(std::count(dev.begin(), dev.end(), ',') + 1))
            << " ms\n";
  print(sync, a.frames);
  print(run_async(a, m, dev), a.frames);
  print(run_queue(a, m, dev), a.frames);
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);
  std::cout << std::fixed;
  try {
    const Args a = parse(argc, argv);
    runtime::ModelOptions mo;
    mo.target = a.devices == "npu0pe0-1" ? isa::Mode::kFused : isa::Mode::kSingle;
    experiment(a, runtime::Model::load(a.model, mo), a.devices);
    if (!a.compare.empty()) {
      mo.target = a.compare == "npu0pe0-1" ? isa::Mode::kFused : isa::Mode::kSingle;
      experiment(a, runtime::Model::load(a.model, mo), a.compare);
    }
  } catch (const std::exception& e) {
    std::cerr << "runner_bench: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
