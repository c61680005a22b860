// Loading models: an ONNX file is compiled once and then comes from the
// compile cache; bad files give errors naming them.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

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
  // The cache's entries (file names), to find the one a load wrote.
  std::set<std::string> entries() const {
    std::set<std::string> names;
    for (const auto& e : fs::directory_iterator(dir / "cache"))
      names.insert(e.path().filename().string());
    return names;
  }
  std::string hostname() const {
    char name[256] = {};
    ::gethostname(name, sizeof name - 1);
    return name;
  }
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

// The cache keys on what the compiled code depends on: a sweep over
// bandwidth, clock, DRAM size or host link compiles once, and the model then
// describes the device it runs on; an SRAM size is another program.
TEST_F(ModelLoadTest, BandwidthClockDramSizeAndHostLinkShareOneCompiledProgram) {
  runtime::ModelOptions o;
  o.hw = hw;
  o.cache_dir = (dir / "cache").string();
  ASSERT_FALSE(runtime::Model::load(onnx, o)->cache_hit());
  for (const char* change : {"dram_bandwidth=33GB/s", "clock=1GHz", "dram_size=1GiB",
                             "host_link=31.5GB/s", "dma_burst=256B", "host_op=5us"}) {
    runtime::ModelOptions other = o;
    isa::apply_assignment(other.hw, change);
    const auto model = runtime::Model::load(onnx, other);
    EXPECT_TRUE(model->cache_hit()) << change;
    EXPECT_TRUE(model->program().hw == other.hw) << change;
  }
  EXPECT_EQ(entries().size(), 1u);
  runtime::ModelOptions smaller = o;
  isa::set_param(smaller.hw, "sram_per_pe", "8MiB");
  EXPECT_FALSE(runtime::Model::load(onnx, smaller)->cache_hit());
  EXPECT_EQ(entries().size(), 2u);
}

// Each entry stores its key and is served only under it: another key's
// valid entry, or a plain .npub, placed under a key is compiled over.
TEST_F(ModelLoadTest, AnEntryPlacedUnderAnotherKeyIsNotServed) {
  runtime::ModelOptions single;
  single.hw = hw;
  single.cache_dir = (dir / "cache").string();
  runtime::ModelOptions fused = single;
  fused.target = isa::Mode::kFused;
  runtime::Model::load(onnx, single);
  const std::string single_entry = *entries().begin();
  runtime::Model::load(onnx, fused);
  std::set<std::string> both = entries();
  both.erase(single_entry);
  ASSERT_EQ(both.size(), 1u);
  const fs::path fused_entry = dir / "cache" / *both.begin();

  fs::copy_file(dir / "cache" / single_entry, fused_entry, fs::copy_options::overwrite_existing);
  auto model = runtime::Model::load(onnx, fused);
  EXPECT_FALSE(model->cache_hit()) << "the single-PE program must not serve the fused key";
  EXPECT_EQ(model->program().mode, isa::Mode::kFused);
  EXPECT_TRUE(runtime::Model::load(onnx, fused)->cache_hit()) << "rewritten under its own key";

  isa::save_program(model->program(), fused_entry.string());  // a valid .npub, no key
  model = runtime::Model::load(onnx, fused);
  EXPECT_FALSE(model->cache_hit());
  EXPECT_EQ(model->program().mode, isa::Mode::kFused);
}

// A writer killed mid-entry leaves "ENTRY.tmp.HOST.PID"; opening the cache
// removes it once that process is gone (and any temporary older than a day),
// and keeps a live writer's and another host's recent one.
TEST_F(ModelLoadTest, StaleTemporariesOfAKilledWriterAreRemoved) {
  const pid_t child = fork();
  if (child == 0) _exit(0);
  ASSERT_GT(child, 0);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  const fs::path cache = dir / "cache";
  fs::create_directories(cache);
  const std::string host = hostname();
  const auto touch = [&](const std::string& name) {
    std::ofstream(cache / name) << "partial";
    return cache / name;
  };
  const fs::path dead = touch("0123456789abcdef.entry.tmp." + host + "." + std::to_string(child));
  const fs::path legacy = touch("0123456789abcdef.npub.tmp" + std::to_string(child));
  const fs::path live =
      touch("1123456789abcdef.entry.tmp." + host + "." + std::to_string(::getpid()));
  const fs::path remote = touch("2123456789abcdef.entry.tmp.some-other-host.1");
  const fs::path old = touch("3123456789abcdef.entry.tmp.some-other-host.2");
  fs::last_write_time(old, fs::file_time_type::clock::now() - std::chrono::hours(48));

  runtime::ModelOptions o;
  o.hw = hw;
  o.cache_dir = cache.string();
  EXPECT_FALSE(runtime::Model::load(onnx, o)->cache_hit());
  EXPECT_FALSE(fs::exists(dead));
  EXPECT_FALSE(fs::exists(legacy));
  EXPECT_FALSE(fs::exists(old));
  EXPECT_TRUE(fs::exists(live));
  EXPECT_TRUE(fs::exists(remote));
  for (const auto& name : entries()) {
    if (name.find(".tmp") == std::string::npos) {
      EXPECT_EQ(fs::path(name).extension(), ".entry") << name;
    }
  }
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
