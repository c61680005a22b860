// runner_bench: the Warboy tutorial's experiment on the simulated NPU, as
// `npusim bench MODEL --compare-runners` runs it (tools/npusim/
// runner_comparison.hpp): N frames of a model with host-side pre- and
// post-processing through the sync runner, the async runner with W workers
// and the queue, each total in simulated time next to the bounds the time
// model predicts. Timing-only by default (the arithmetic is skipped; cycles
// are the same). Exit status: 0 ok, 1 error, 2 usage error.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <iostream>

#include "runner_comparison.hpp"

namespace po = boost::program_options;

namespace {

npusim::cli::RunnerComparison parse(int argc, char** argv) {
  npusim::cli::RunnerComparison c;
  po::options_description d("runner_bench options (the same as npusim bench --compare-runners)");
  d.add_options()("help,h", "this help")("model", po::value(&c.model)->required(),
                                         "int8 QDQ .onnx or .npub")(
      "frames,n", po::value(&c.frames), "frames per runner (1000)")(
      "workers,w", po::value(&c.workers), "async/queue workers (8)")(
      "devices,d", po::value(&c.devices), "device list (npu0pe0)")(
      "compare", po::value(&c.compare), "also this device list, e.g. npu0pe0,npu0pe1")(
      "host-cores", po::value(&c.host_cores), "host lanes (the hardware's host_cores, 8)")(
      "pre-us", po::value(&c.pre_us), "host preprocessing per frame, us (2000)")(
      "post-us", po::value(&c.post_us), "host decode + NMS per frame, us (3000)")(
      "arithmetic", po::bool_switch(&c.arithmetic), "compute outputs (slower)");
  po::variables_map vm;
  po::store(po::parse_command_line(argc, argv, d), vm);
  if (vm.count("help")) {
    std::cout << d;
    std::exit(0);
  }
  po::notify(vm);
  if (c.frames < 1 || c.workers < 1) throw po::error("--frames and --workers must be at least 1");
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);
  npusim::cli::RunnerComparison c;
  try {
    c = parse(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "runner_bench: " << e.what() << " (try --help)\n";
    return 2;
  }
  try {
    npusim::cli::compare_runners(c, std::cout, std::cerr, isatty(STDERR_FILENO));
  } catch (const std::exception& e) {
    std::cerr << "runner_bench: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
