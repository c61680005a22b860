// The npusim version: `npusim --version`, and the JSON outputs of bench and profile.
#pragma once

namespace npusim::cli {
inline constexpr const char* kVersion = "0.1.0";
}
