// What the sweep tests share: running the npusim binary as a user would, a
// temporary directory per test, the models they sweep (BlazeFace quantised
// once per build and shared between test processes; a one-convolution model
// whose weights need more than the smallest SRAM), and reading the results
// database with SQLite directly, not through the code under test.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace npusim::testing {

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

// Runs `npusim ARGS` in `cwd` through the shell; stderr joins stdout.
CommandResult npusim(const std::string& args, const std::string& cwd = "");

// The rows of a query, each column as text ("" for NULL).
using Rows = std::vector<std::vector<std::string>>;
Rows query(const std::string& db, const std::string& sql);
// One row per point_key: column name -> value.
std::map<std::string, std::map<std::string, std::string>> points_by_key(const std::string& db);

class SweepTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;
  // Writes `text` to DIR/name and returns the path.
  std::string write(const std::string& name, const std::string& text) const;
  std::string path(const std::string& name) const { return (dir / name).string(); }

  std::filesystem::path dir;
};

// BlazeFace from the model cache, quantised with random calibration (cached
// beside the test binary's build, keyed by the npusim binary's time).
std::string quantized_blazeface();

// x[1,256,8,8] -> Conv 3x3 256->256 (QDQ): 576 KiB of int8 weights, which the
// compiler cannot fit into 64 KiB of SRAM even one output row at a time.
std::string big_conv_model(const std::string& dir);
// A bilinear Resize of a 64 KiB image: bilinear needs the whole input image in
// SRAM, so it runs on the NPU with 1 MiB per PE but not with 64 KiB.
std::string wide_resize_model(const std::string& dir);

}  // namespace npusim::testing
