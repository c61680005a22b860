// The npusim version: `npusim --version`, and the JSON outputs of bench and profile.
#pragma once

#include <string>

#include "npusim/runtime/version.hpp"

namespace npusim::cli {
inline const std::string kVersion{runtime::version()};

// `npusim --version`: version, git revision, and the hardware presets with
// the default's parameters.
int print_version();
}  // namespace npusim::cli
