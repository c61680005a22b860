// Dumps by tensor name: any name (TensorFlow exports have '/' and ':' and
// hundreds of characters) gets a file the file system takes, distinct names
// never share one, and index.json brings every name back.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "npusim/compiler/calibration.hpp"
#include "npusim/debug/tensor_files.hpp"

namespace npusim::debug {
namespace {

namespace fs = std::filesystem;
using compiler::DType;

struct TempDir {
  TempDir() {
    static int n = 0;
    path = (fs::temp_directory_path() /
            ("npusim_dump_test_" + std::to_string(::getpid()) + "_" + std::to_string(n++)))
               .string();
  }
  ~TempDir() { fs::remove_all(path); }
  std::string path;
};

// Names a user meets: long TensorFlow paths, characters of every kind.
std::vector<std::string> awkward_names() {
  std::string all_bytes;
  for (int c = 1; c < 256; ++c) all_bytes += static_cast<char>(c);
  return {"Identity:0",
          "Identity/0",  // sanitises to the same as the one above
          "StatefulPartitionedCall/functional_1/" + std::string(400, 'x') + "/BiasAdd:0",
          "StatefulPartitionedCall/functional_1/" + std::string(400, 'x') + "/BiasAdd:1",
          "..",
          ".",
          "",
          "index",
          "a.float",
          "über/数据 \"quoted\" \\ back",
          all_bytes};
}

Tensor codes(int8_t first, int64_t n = 6) {
  std::vector<int8_t> v;
  for (int64_t i = 0; i < n; ++i) v.push_back(static_cast<int8_t>(first + i));
  return Tensor::from(DType::kInt8, {1, n}, v);
}

TEST(TensorFiles, SafeStemsAreShortPortableAndDistinct) {
  std::set<std::string> stems;
  for (const auto& name : awkward_names()) {
    const std::string s = safe_file_stem(name);
    EXPECT_LE(s.size(), 120u) << name;
    EXPECT_FALSE(s.empty());
    EXPECT_NE(s, ".");
    EXPECT_NE(s, "..");
    for (char c : s)
      EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' ||
                  c == '~')
          << "'" << c << "' in " << s;
    EXPECT_TRUE(stems.insert(s).second) << "two names share " << s;
  }
  // A name that needs no change keeps it (ONNX Runtime's dumps use the same).
  EXPECT_EQ(safe_file_stem("conv1_out"), "conv1_out");
}

TEST(TensorFiles, EveryNameIsDumpedAndReadBack) {
  TempDir dir;
  std::vector<DumpEntry> entries;
  std::vector<std::string> names = awkward_names();
  for (size_t i = 0; i < names.size(); ++i) {
    DumpEntry e;
    e.name = names[i];
    e.codes = codes(static_cast<int8_t>(i));
    e.values = Tensor::from(DType::kFloat32, {1, 1}, std::vector<float>{float(i) * 0.5f});
    e.scale = 0.25f;
    e.zero_point = -3;
    entries.push_back(e);
  }
  write_dump(dir.path, entries);
  for (const auto& f : fs::directory_iterator(dir.path))
    EXPECT_LE(f.path().filename().string().size(), 255u);
  const auto back = read_dump(dir.path, names);
  ASSERT_EQ(back.size(), names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    const DumpEntry& e = back.at(names[i]);
    ASSERT_TRUE(e.codes && e.values) << names[i];
    EXPECT_EQ(e.codes->raw(), entries[i].codes->raw()) << names[i];
    EXPECT_EQ(e.values->raw(), entries[i].values->raw()) << names[i];
    EXPECT_EQ(e.scale, 0.25f);
    EXPECT_EQ(e.zero_point, -3);
  }
}

TEST(TensorFiles, NamedFilesKeepTheirPlainNamesAndListLongOnes) {
  TempDir dir;
  const std::string long_name = "model/" + std::string(300, 'y') + ":0";
  const Tensor a = codes(1), b = codes(2), c = codes(3);
  write_named_files(dir.path, {{"Identity:0", &a}, {"Identity/0", &b}, {long_name, &c}});
  EXPECT_TRUE(fs::exists(dir.path + "/Identity_0.npy"));  // as npusim run always wrote it
  const auto back = read_dump(dir.path, {"Identity:0", "Identity/0", long_name});
  ASSERT_EQ(back.size(), 3u);
  EXPECT_EQ(back.at("Identity:0").codes->raw(), a.raw());
  EXPECT_EQ(back.at("Identity/0").codes->raw(), b.raw());
  EXPECT_EQ(back.at(long_name).codes->raw(), c.raw());
}

TEST(TensorFiles, AFolderWithoutIndexIsReadByOnnxRuntimesFileNames) {
  TempDir dir;
  fs::create_directories(dir.path);
  compiler::write_npy(dir.path + "/conv_1_out_0.npy", codes(7));  // ort_run.js: "conv/1:out 0"
  const auto back = read_dump(dir.path, {"conv/1:out 0", "missing"});
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back.at("conv/1:out 0").codes->raw(), codes(7).raw());
}

TEST(TensorFiles, ABrokenIndexIsAnErrorNamingIt) {
  TempDir dir;
  fs::create_directories(dir.path);
  std::ofstream(dir.path + "/index.json") << "{\"format\": \"something else\"}";
  try {
    read_dump(dir.path, {"x"});
    FAIL() << "read a foreign index";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(dir.path + "/index.json: format is not npusim-dump-1"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace npusim::debug
