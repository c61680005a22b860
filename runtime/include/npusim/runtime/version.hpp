// The npusim release and the source revision it was built from, as
// `npusim --version`, reports (JSON outputs, the Python package) name them.
#pragma once

#include <string_view>

namespace npusim::runtime {

// The project version from CMakeLists.txt, e.g. "0.1.0".
std::string_view version();
// `git describe --always --dirty` of the source tree at build time (a commit
// id, "-dirty" with uncommitted changes), or "unknown" outside a checkout.
std::string_view git_revision();

}  // namespace npusim::runtime
