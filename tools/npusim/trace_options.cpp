#include "trace_options.hpp"

#include <iostream>

#include "commands.hpp"

namespace po = boost::program_options;

namespace npusim::cli {

void add_trace_options(po::options_description& desc, TraceOptions& out) {
  desc.add_options()("trace-instructions", po::value(&out.file)->value_name("FILE"),
                     "write every instruction the device executes (PE, engine, start and end "
                     "cycle, operands) as JSON lines, for npusim trace-diff")(
      "trace-values", po::bool_switch(&out.values),
      "with --trace-instructions: also each instruction's written range and a checksum of "
      "the bytes it wrote");
}

std::unique_ptr<debug::TraceRecording> start_trace(const TraceOptions& options, bool timing_only) {
  if (options.values && options.file.empty())
    throw UsageError("--trace-values needs --trace-instructions FILE");
  if (options.values && timing_only)
    throw UsageError("--trace-values needs the arithmetic: drop --timing-only");
  if (options.file.empty()) return nullptr;
  return std::make_unique<debug::TraceRecording>(options.file, options.values);
}

void finish_trace(std::unique_ptr<debug::TraceRecording>& recording, const TraceOptions& options) {
  if (!recording) return;
  const size_t n = recording->finish();
  std::cout << "trace      " << options.file << " (" << n << " instructions"
            << (options.values ? ", with checksums" : "") << ")\n";
}

}  // namespace npusim::cli
