// The npusim version the command line reports in its JSON outputs.
#pragma once

namespace npusim::cli {
inline constexpr const char* kVersion = "0.1.0";
}
