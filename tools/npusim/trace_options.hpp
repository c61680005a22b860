// --trace-instructions FILE and --trace-values, shared by exec and run
// (docs/debug.md, "Instruction trace").
#pragma once

#include <boost/program_options.hpp>
#include <memory>
#include <string>

#include "npusim/debug/instruction_trace.hpp"

namespace npusim::cli {

struct TraceOptions {
  std::string file;  // empty: no trace
  bool values = false;
};

void add_trace_options(boost::program_options::options_description& desc, TraceOptions& out);

// Starts recording before the run (null without --trace-instructions).
// --trace-values without a file, or with timing-only (nothing is computed,
// so there is nothing to checksum), is a UsageError.
std::unique_ptr<debug::TraceRecording> start_trace(const TraceOptions& options, bool timing_only);

// Writes the trace and prints where ("trace      FILE (N instructions)").
void finish_trace(std::unique_ptr<debug::TraceRecording>& recording, const TraceOptions& options);

}  // namespace npusim::cli
