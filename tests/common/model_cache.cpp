#include "common/model_cache.hpp"

#include <cstdlib>
#include <filesystem>

namespace npusim::testing {

std::string cache_dir() {
  if (const char* c = std::getenv("NPUSIM_CACHE"); c && *c) return c;
  const char* home = std::getenv("HOME");
  return std::string(home ? home : "") + "/.cache/npusim";
}

std::string cached_model_path(const std::string& name) {
  return cache_dir() + "/models/" + name;
}

std::string cached_image_path(const std::string& name) {
  return cache_dir() + "/images/" + name;
}

std::string cached_file(const std::string& kind, const std::string& name) {
  const std::string path = cache_dir() + "/" + kind + "/" + name;
  return std::filesystem::exists(path) ? path : "";
}

::testing::AssertionResult file_present(const std::string& path, const std::string& script) {
  if (std::filesystem::exists(path)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << path << " is missing: run " << script << " (scripts/test.sh runs it)";
}

}  // namespace npusim::testing
