// A whole file as a string, for tests that read what a tool or a data
// package wrote.
#pragma once

#include <string>

namespace npusim::testing {

// The bytes of `path`; throws std::runtime_error naming it if it cannot be opened.
std::string read_file(const std::string& path);

}  // namespace npusim::testing
