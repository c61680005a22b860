// Loading models: an ONNX file is compiled once and then comes from the
// compile cache; bad files give errors naming them.
#include <gtest/gtest.h>

#include <filesystem>

#include "npusim/compiler/onnx_io.hpp"
#include "runtime_fixture.hpp"

namespace npusim::testing {
namespace {

namespace fs = std::filesystem;

class ModelLoadTest : public RuntimeTest {
 protected:
  void SetUp() override {
    RuntimeTest::SetUp();
    dir = fs::temp_directory_path() / ("npusim_model_load_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    onnx = (dir / "two_conv.onnx").string();
    compiler::export_onnx(graph, onnx);
  }
  void TearDown() override { fs::remove_all(dir); }
  fs::path dir;
  std::string onnx;
};

TEST_F(ModelLoadTest, SecondLoadOfTheSameModelComesFromTheCompileCache) {
  runtime::ModelOptions o;
  o.hw = hw;
  o.cache_dir = (dir / "cache").string();
  const auto first = runtime::Model::load(onnx, o);
  EXPECT_TRUE(first->compiled_from_onnx());
  EXPECT_FALSE(first->cache_hit());
  const auto second = runtime::Model::load(onnx, o);
  EXPECT_TRUE(second->cache_hit());
  EXPECT_EQ(isa::serialize(second->program()), isa::serialize(first->program()));
  // Other options or hardware are another entry.
  o.target = isa::Mode::kFused;
  EXPECT_FALSE(runtime::Model::load(onnx, o)->cache_hit());
  // And the cached program runs like the compiled one.
  runtime::Runner runner(second, options());
  const Tensor x = random_input({1, 8, 16, 16}, 900);
  EXPECT_EQ(runner.run({x})[0].raw(), expected(x)[0].raw());
}

TEST_F(ModelLoadTest, BadFilesAreNamedInTheError) {
  runtime::ModelOptions o;
  o.hw = hw;
  for (const std::string& path :
       {(dir / "missing.onnx").string(), (dir / "missing.npub").string()}) {
    try {
      runtime::Model::load(path, o);
      FAIL() << path;
    } catch (const runtime::RuntimeError& e) {
      EXPECT_EQ(e.kind(), runtime::RuntimeErrorKind::kModel);
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace npusim::testing
