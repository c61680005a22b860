#include "fault_options.hpp"

#include "commands.hpp"
#include "npusim/runtime/errors.hpp"

namespace po = boost::program_options;

namespace npusim::cli {

void add_fault_options(po::options_description& desc, FaultOptions& out, bool with_retries) {
  desc.add_options()("inject", po::value(&out.inject)->value_name("KIND@WHEN"),
                     "inject a device fault: KIND dma-error, illegal-instruction, watchdog, "
                     "stuck-engine, host-link-error; WHEN request:N, instruction:N, random[:P] "
                     "(docs/faults.md)");
  if (with_retries)
    desc.add_options()("retries", po::value(&out.retries)->value_name("N"),
                       "run a request whose device work faulted again, up to N times (0)");
}

runtime::FaultInjection fault_injection(const FaultOptions& options, uint32_t seed) {
  if (options.retries < 0 || options.retries > 100)
    throw UsageError("--retries must be between 0 and 100, got " + std::to_string(options.retries));
  if (options.inject.empty()) return {};
  try {
    return runtime::parse_fault_injection(options.inject, seed);
  } catch (const runtime::RuntimeError& e) {
    throw UsageError(e.what());
  }
}

}  // namespace npusim::cli
