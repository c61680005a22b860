// npusim: the command line of the NPU simulator.
#include <spdlog/cfg/env.h>
#include <spdlog/spdlog.h>

#include <boost/program_options/errors.hpp>
#include <cstring>
#include <iostream>
#include <map>

#include "commands.hpp"
#include "version.hpp"

namespace {

const char* kUsage = R"(usage: npusim COMMAND [options] | npusim --version

commands:
  info      show the simulated device, its PEs and parameters
  asm       assemble program text into a .npub file
  disasm    print a .npub program as assembly text
  exec      run a program (.npub or assembly text) on the simulated device
  compile   compile a quantised (QDQ) ONNX model into a .npub program
  quantize  quantise an FP32 ONNX model to int8 (QDQ), with an accuracy report
  run       run a model (ONNX or .npub) through the runtime on the simulated NPU
  bench     throughput and latency of a model (furiosa-bench style flags)
  split     cooperative run across unlike units (NPUs, host CPU): batch size and split search
  debug     run on the simulated NPU with every layer captured; compare with the golden model
  trace-diff  the first instruction at which two instruction traces (--trace-instructions) differ
  profile   compile, first load, warm load and inference: time and memory
  sweep     what-if study: a grid of hardware parameters x models x modes, into SQLite
  plot      plots and an HTML page of a sweep's results

Run "npusim COMMAND --help" for a command's options; "npusim --version" for the version.
Set SPDLOG_LEVEL=info or debug to see the driver's and the device's log.
)";

using Command = int (*)(const npusim::cli::Args&);

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);
  spdlog::cfg::load_env_levels();  // SPDLOG_LEVEL=debug npusim ... shows driver and device logs
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    std::cout << kUsage;
    return argc < 2 ? 2 : 0;
  }
  if (!std::strcmp(argv[1], "--version") || !std::strcmp(argv[1], "-V"))
    return npusim::cli::print_version();
  const std::map<std::string, Command> commands = {
      {"info", npusim::cli::cmd_info},       {"asm", npusim::cli::cmd_asm},
      {"disasm", npusim::cli::cmd_disasm},   {"exec", npusim::cli::cmd_exec},
      {"compile", npusim::cli::cmd_compile}, {"quantize", npusim::cli::cmd_quantize},
      {"run", npusim::cli::cmd_run},         {"bench", npusim::cli::cmd_bench},
      {"profile", npusim::cli::cmd_profile}, {"sweep", npusim::cli::cmd_sweep},
      {"plot", npusim::cli::cmd_plot},       {"debug", npusim::cli::cmd_debug},
      {"split", npusim::cli::cmd_split},     {"trace-diff", npusim::cli::cmd_trace_diff}};
  auto it = commands.find(argv[1]);
  if (it == commands.end()) {
    std::cerr << "npusim: unknown command \"" << argv[1] << "\"\n" << kUsage;
    return 2;
  }
  try {
    return it->second(npusim::cli::Args(argv + 2, argv + argc));
  } catch (const npusim::cli::UsageError& e) {
    std::cerr << "npusim " << argv[1] << ": " << e.what() << "\n";
    return 2;
  } catch (const boost::program_options::error& e) {
    std::cerr << "npusim " << argv[1] << ": " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "npusim " << argv[1] << ": error: " << e.what() << "\n";
    return 1;
  }
}
