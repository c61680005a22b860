// The developer models and sample photos the tests use, in the cache that
// scripts/fetch-models.sh and scripts/fetch-images.sh fill.
#pragma once

#include <gtest/gtest.h>

#include <string>

namespace npusim::testing {

// ${NPUSIM_CACHE:-$HOME/.cache/npusim}
std::string cache_dir();
std::string cached_model_path(const std::string& name);  // cache/models/NAME
std::string cached_image_path(const std::string& name);  // cache/images/NAME
// cache/KIND/NAME if it exists, else "" (for tests that skip without it).
std::string cached_file(const std::string& kind, const std::string& name);

// Success if `path` exists, else a failure naming it and `script`.
::testing::AssertionResult file_present(const std::string& path, const std::string& script);

}  // namespace npusim::testing
