// --hw FILE / --set key=value, shared by every command that takes hardware.
#pragma once

#include <boost/program_options.hpp>
#include <string>
#include <vector>

#include "npusim/isa/hw_params.hpp"

namespace npusim::cli {

struct HwOptions {
  std::string file;
  std::vector<std::string> assignments;
};

void add_hw_options(boost::program_options::options_description& desc, HwOptions& out);

// warboy, then the file, then each --set in order.
isa::HwParams resolve_hw(const HwOptions& options);

}  // namespace npusim::cli
