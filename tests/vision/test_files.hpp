// Cached models and images for the vision tests (scripts/fetch-models.sh,
// scripts/fetch-images.sh), found like tests/quantizer finds models.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

namespace npusim::testing {

// $NPUSIM_CACHE/<kind>/<name> or ~/.cache/npusim/<kind>/<name>; "" when absent.
inline std::string cached_file(const std::string& kind, const std::string& name) {
  const char* cache = std::getenv("NPUSIM_CACHE");
  const char* home = std::getenv("HOME");
  const std::string dir = cache ? cache : (home ? std::string(home) + "/.cache/npusim" : "");
  const std::string path = dir + "/" + kind + "/" + name;
  return !dir.empty() && std::filesystem::exists(path) ? path : "";
}

}  // namespace npusim::testing
