// Bad inputs: each error names the file or input and the reason. Through
// the library, and through `npusim quantize`, which must also exit non-zero
// and leave no output file behind.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "npusim/compiler/calibration.hpp"
#include "npusim/compiler/onnx_io.hpp"
#include "npusim/compiler/quantizer.hpp"
#include "test_models.hpp"

namespace npusim::compiler {
namespace {

namespace fs = std::filesystem;

class BadInputs : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("npusim_quant_err_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    export_onnx(testing::small_cnn(), path("cnn.onnx"));
    std::ofstream(path("notes.onnx")) << "this is not a protobuf";
    write_npy(path("wrong_shape.npy"), Tensor(DType::kFloat32, {1, 3, 8, 8}));
    write_npy(path("int64.npy"), Tensor(DType::kInt64, {1, 3, 16, 16}));
    write_npy(path("batch.npy"), Tensor(DType::kFloat32, {5, 3, 16, 16}));
    fs::create_directories(dir_ / "empty");
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // The CompileError message of f(), or "" if it does not throw one.
  template <typename F>
  static std::string error_of(F f) {
    try {
      f();
    } catch (const CompileError& e) {
      return e.what();
    }
    return "";
  }

  fs::path dir_;
};

#define EXPECT_HAS(text, part) EXPECT_NE((text).find(part), std::string::npos) << (text)

TEST_F(BadInputs, NotAnOnnxFile) {
  const std::string e = error_of([&] { prepare_model(path("notes.onnx")); });
  EXPECT_HAS(e, path("notes.onnx"));
  EXPECT_HAS(e, "not an ONNX model");
}

TEST_F(BadInputs, DynamicInputNeedsAShape) {
  Graph g = testing::small_cnn();
  g.value("x").rank_known = false;
  g.value("x").shape.clear();
  const std::string e = error_of([&] { prepare_graph(g, "dyn.onnx"); });
  EXPECT_HAS(e, "dyn.onnx");
  EXPECT_HAS(e, "input 'x' has a dynamic shape");
  EXPECT_HAS(e, "--input-shape");
}

TEST_F(BadInputs, AlreadyQuantisedModel) {
  const Graph g = prepare_graph(testing::small_cnn(), "cnn");
  const QuantPlan plan = plan_quantization(g);
  const Calibration c = calibrate(g, plan.activations, testing::random_inputs(g, 2, 1));
  const Graph q = quantize_graph(g, plan, compute_ranges(g, c, plan, {})).graph;
  EXPECT_HAS(error_of([&] { prepare_graph(q, "q.onnx"); }), "already quantised");
}

TEST_F(BadInputs, CalibrationDataThatDoesNotFit) {
  const Graph g = prepare_graph(testing::small_cnn(), "cnn");
  const ImagePreprocess pp;
  auto load = [&](const std::string& spec) { return load_inputs(g, {spec}, pp, 1, 1); };
  std::string e = error_of([&] { load(path("wrong_shape.npy")); });
  EXPECT_HAS(e, path("wrong_shape.npy"));
  EXPECT_HAS(e, "does not match input 'x'");
  e = error_of([&] { load(path("int64.npy")); });
  EXPECT_HAS(e, path("int64.npy"));
  EXPECT_HAS(e, "int64");
  e = error_of([&] { load(path("empty")); });
  EXPECT_HAS(e, path("empty"));
  EXPECT_HAS(e, "no .npy or image files");
  e = error_of([&] { load(path("missing.png")); });
  EXPECT_HAS(e, "no such file");
  e = error_of([&] { load(path("notes.onnx")); });
  EXPECT_HAS(e, "not a .npy or image file");
  e = error_of([&] { load_inputs(g, {}, pp, 1, 1); });
  EXPECT_HAS(e, "no calibration data for input 'x'");
  EXPECT_EQ(load(path("batch.npy")).size(), 5u);  // a leading batch axis is split
}

TEST_F(BadInputs, UnsupportedNpyDtype) {
  std::ofstream f(path("f16.npy"), std::ios::binary);
  const std::string header = "{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }";
  f << std::string("\x93NUMPY\x01\x00", 8) << char(header.size()) << char(0) << header << "abcd";
  f.close();
  const std::string e = error_of([&] { read_npy(path("f16.npy")); });
  EXPECT_HAS(e, path("f16.npy"));
  EXPECT_HAS(e, "unsupported .npy dtype '<f2'");
}

TEST_F(BadInputs, InputTypeForUnknownInput) {
  const Graph g = prepare_graph(testing::small_cnn(), "cnn");
  const QuantPlan plan = plan_quantization(g);
  const Calibration c = calibrate(g, plan.activations, testing::random_inputs(g, 2, 1));
  QuantizeOptions o;
  o.input_types["image"] = DType::kUint8;
  EXPECT_HAS(error_of([&] { quantize_graph(g, plan, compute_ranges(g, c, plan, {}), o); }),
             "no input named 'image'");
}

// ---- through the command line ------------------------------------------------

// The npusim binary next to this test's build directory, or "".
std::string npusim_binary() {
  std::array<char, 4096> self{};
  const ssize_t n = readlink("/proc/self/exe", self.data(), self.size() - 1);
  if (n <= 0) return "";
  const fs::path p = fs::path(std::string(self.data(), static_cast<size_t>(n))).parent_path() /
                     ".." / "tools" / "npusim";
  return fs::exists(p) ? p.string() : "";
}

struct Outcome {
  int status = -1;
  std::string err;
};

Outcome run(const std::string& args, const std::string& dir) {
  const std::string err = dir + "/stderr.txt";
  const int raw =
      std::system((npusim_binary() + " quantize " + args + " >/dev/null 2>" + err).c_str());
  std::ifstream in(err);
  return {WIFEXITED(raw) ? WEXITSTATUS(raw) : -1,
          std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>())};
}

TEST_F(BadInputs, CommandLineErrorsExitNonZeroWithoutOutput) {
  if (npusim_binary().empty()) GTEST_SKIP() << "npusim binary not built next to the tests";
  const std::string out = path("out.onnx"), d = dir_.string();
  const struct {
    std::string args, expect;
  } cases[] = {
      {path("notes.onnx") + " -o " + out + " --calib random", "not an ONNX model"},
      {path("cnn.onnx") + " -o " + out, "no calibration data"},
      {path("cnn.onnx") + " -o " + out + " --calib " + path("wrong_shape.npy"), "does not match"},
      {path("cnn.onnx") + " -o " + out + " --calib " + path("int64.npy"), "int64"},
      {path("cnn.onnx") + " -o " + out + " --calib random --input-shape y=1x3x4x4", "\"y\""},
      {path("cnn.onnx") + " -o " + out + " --calib random --input-type x=float16", "--input-type"},
      {path("cnn.onnx") + " -o " + out + " --calib random --method kl",
       "unknown calibration method"},
  };
  for (const auto& c : cases) {
    const Outcome o = run(c.args, d);
    EXPECT_NE(o.status, 0) << c.args;
    EXPECT_HAS(o.err, c.expect);
    EXPECT_FALSE(fs::exists(out)) << c.args;
    for (const auto& e : fs::directory_iterator(dir_))
      EXPECT_EQ(e.path().string().find(".tmp"), std::string::npos) << e.path();
  }
}

TEST_F(BadInputs, CommandLineWritesTheModelAndRanges) {
  if (npusim_binary().empty()) GTEST_SKIP() << "npusim binary not built next to the tests";
  const std::string out = path("out.onnx");
  const Outcome o = run(path("cnn.onnx") + " -o " + out + " --calib random --calib-count 4 -q" +
                            " --save-ranges " + path("r.json"),
                        dir_.string());
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_NO_THROW(import_onnx(out));
  const Outcome again =
      run(path("cnn.onnx") + " -o " + path("again.onnx") + " -q --load-ranges " + path("r.json"),
          dir_.string());
  ASSERT_EQ(again.status, 0) << again.err;
  std::ifstream a(out, std::ios::binary), b(path("again.onnx"), std::ios::binary);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(a), {}),
            std::string(std::istreambuf_iterator<char>(b), {}));
}

// Found by fuzz_npy (docs/fuzzing.md): a shape with a zero dim passes the
// limits (no elements), and counting its elements multiplied the other,
// huge dims first (signed overflow). It is an empty array.
TEST(Npy, AZeroDimBesideAHugeOneIsAnEmptyArray) {
  const std::string header =
      "{'descr': '<f4', 'fortran_order': False, 'shape': "
      "(4, 8000000000000000000, 0), }";
  std::string npy = std::string("\x93NUMPY\x01\x00", 8);
  npy += static_cast<char>(header.size() + 1);
  npy += '\0';
  npy += header + "\n";
  const Tensor t = parse_npy(npy, "empty.npy");
  EXPECT_EQ(t.size(), 0);
  EXPECT_EQ(t.shape(), (Shape{4, 8000000000000000000, 0}));
}

}  // namespace
}  // namespace npusim::compiler
