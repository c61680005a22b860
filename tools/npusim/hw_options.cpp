#include "hw_options.hpp"

#include "commands.hpp"

namespace po = boost::program_options;

namespace npusim::cli {

void add_hw_options(po::options_description& desc, HwOptions& out) {
  desc.add_options()("hw", po::value(&out.file)->value_name("FILE"),
                     "hardware parameter file (docs/params.md)")(
      "set", po::value(&out.assignments)->composing()->value_name("KEY=VALUE"),
      "override one hardware parameter, e.g. --set sram_per_pe=8MiB (repeatable)");
}

isa::HwParams resolve_hw(const HwOptions& options) {
  isa::HwParams hw =
      options.file.empty() ? isa::preset("warboy") : isa::load_params_file(options.file);
  for (const std::string& a : options.assignments) {
    try {
      isa::apply_assignment(hw, a);
    } catch (const isa::ParamError& e) {  // the command line is wrong: exit status 2
      throw UsageError(std::string("--set: ") + e.what());
    }
  }
  return hw;
}

}  // namespace npusim::cli
