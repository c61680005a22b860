// --inject KIND@WHEN and --retries, shared by run, bench and exec (docs/faults.md).
#pragma once

#include <boost/program_options.hpp>
#include <string>

#include "npusim/runtime/fault_injection.hpp"

namespace npusim::cli {

struct FaultOptions {
  std::string inject;  // KIND@WHEN, or empty
  int retries = 0;
};

// `with_retries`: exec runs once and has no --retries.
void add_fault_options(boost::program_options::options_description& desc, FaultOptions& out,
                       bool with_retries = true);

// The parsed --inject (empty FaultInjection without it); a bad value or a
// negative --retries is a UsageError.
runtime::FaultInjection fault_injection(const FaultOptions& options, uint32_t seed);

}  // namespace npusim::cli
