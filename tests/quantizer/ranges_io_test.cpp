// --save-ranges / --load-ranges: a round trip gives the same QDQ model;
// files that do not fit are refused naming the file and tensor.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "npusim/compiler/onnx_io.hpp"
#include "npusim/compiler/quantizer.hpp"
#include "test_models.hpp"

namespace npusim::compiler {
namespace {

class RangesFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("npusim_ranges_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    g_ = prepare_graph(testing::small_cnn(), "small_cnn");
    plan_ = plan_quantization(g_);
    const Calibration c = calibrate(g_, plan_.activations, testing::random_inputs(g_, 4, 1));
    ranges_ = compute_ranges(g_, c, plan_, method_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(path(name)) << text;
  }

  std::filesystem::path dir_;
  Graph g_;
  QuantPlan plan_;
  RangeMethod method_ = parse_range_method("entropy-asym");
  RangeTable ranges_;
};

TEST_F(RangesFile, RoundTripGivesTheSameModel) {
  save_ranges(path("r.json"), ranges_, method_, "small_cnn");
  const RangeTable loaded = load_ranges(path("r.json"), plan_);
  ASSERT_EQ(loaded.size(), ranges_.size());
  for (const auto& [name, r] : ranges_) {
    EXPECT_EQ(loaded.at(name).lo, r.lo) << name;
    EXPECT_EQ(loaded.at(name).hi, r.hi) << name;
  }
  EXPECT_EQ(export_onnx_bytes(quantize_graph(g_, plan_, loaded).graph),
            export_onnx_bytes(quantize_graph(g_, plan_, ranges_).graph));
  EXPECT_FALSE(std::filesystem::exists(path("r.json.tmp")));
}

TEST_F(RangesFile, ChannelMeansTravelWithTheRanges) {
  const ChannelMeans means = {{"x", {0.5, -0.25, 1e-9}}, {"y", {}}};
  save_ranges(path("r.json"), ranges_, method_, "small_cnn", means);
  ChannelMeans loaded;
  load_ranges(path("r.json"), plan_, &loaded);
  EXPECT_EQ(loaded, means);
  write("bad_means.json", R"({"tensors": {}, "channel_means": {"x": "no"}})");
  EXPECT_THROW(load_ranges(path("bad_means.json"), QuantPlan{}, &loaded), CompileError);
}

TEST_F(RangesFile, MissingTensorIsNamed) {
  write("r.json", R"({"tensors": {"x": {"lo": -1, "hi": 1}}})");
  try {
    load_ranges(path("r.json"), plan_);
    FAIL() << "loaded ranges lacking tensors";
  } catch (const CompileError& e) {
    EXPECT_NE(std::string(e.what()).find(path("r.json")), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("has no range for tensor"), std::string::npos) << e.what();
  }
}

TEST_F(RangesFile, BadFilesAreRefused) {
  write("bad.json", "{ not json");
  write("shape.json", R"({"ranges": []})");
  write("order.json", R"({"tensors": {"x": {"lo": 2, "hi": 1}}})");
  for (const char* f : {"bad.json", "shape.json", "missing.json"})
    EXPECT_THROW(load_ranges(path(f), plan_), CompileError) << f;
  try {
    load_ranges(path("order.json"), plan_);
  } catch (const CompileError& e) {
    EXPECT_NE(std::string(e.what()).find("'x'"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace npusim::compiler
