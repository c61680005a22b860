// Internal: what the device list (device_list.cpp) and the unit list
// (unit_list.cpp) share in reading "a, b, c" from a command line.
#pragma once

#include <string>
#include <vector>

#include "npusim/runtime/errors.hpp"

namespace npusim::runtime::list_entries {

// A list the user wrote is wrong: an invalid-input error with `message`.
[[noreturn]] inline void bad(const std::string& message) {
  throw RuntimeError(RuntimeErrorKind::kInvalidInput, message);
}

// The comma-separated entries of `text`, spaces around each removed; an
// empty entry stays (as "") for the caller to refuse.
inline std::vector<std::string> split(const std::string& text) {
  auto trimmed = [](std::string s) {
    s.erase(0, s.find_first_not_of(' '));
    s.erase(s.find_last_not_of(' ') + 1);
    return s;
  };
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    const size_t comma = text.find(',', start);
    out.push_back(trimmed(text.substr(start, comma == std::string::npos ? comma : comma - start)));
    if (comma == std::string::npos) return out;
    start = comma + 1;
  }
}

}  // namespace npusim::runtime::list_entries
