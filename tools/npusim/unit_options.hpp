// The hardware of a unit list (npusim split, docs/coop.md): --hw and --set
// without a prefix apply to every NPU chip, --hw npuN:FILE replaces chip N's
// file, --set npuN.KEY=VALUE overrides one of chip N's parameters after the
// common ones, --set cpu.KEY=VALUE sets the CPU unit's cost model.
#pragma once

#include <string>
#include <vector>

#include "npusim/runtime/coop_runner.hpp"

namespace npusim::cli {

struct UnitHwOptions {
  std::vector<std::string> files;        // --hw [npuN:]FILE
  std::vector<std::string> assignments;  // --set [npuN.|cpu.]KEY=VALUE
};

// The units of `devices` with their parameters; bad input is a UsageError
// naming the entry, the unit or the key (a prefix naming a chip the list
// does not have, too).
std::vector<runtime::CoopUnit> resolve_units(const std::string& devices,
                                             const UnitHwOptions& options);

}  // namespace npusim::cli
