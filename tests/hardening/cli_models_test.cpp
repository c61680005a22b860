// Issue 11 through the command line with models: compiler crashes and
// limits, run inputs that were accepted silently, and outputs that were lost
// silently (unwritable places, a full disk, a partial file over the old one).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <set>
#include <string>

#include "bad_models.hpp"
#include "common/cli_runner.hpp"
#include "npusim/compiler/calibration.hpp"

namespace npusim::testing {
namespace {

namespace fs = std::filesystem;

void expect_refused(const CliResult& r, const std::vector<std::string>& parts, int code = 1) {
  EXPECT_EQ(r.exit_code, code) << r.output;
  for (const auto& p : parts)
    EXPECT_NE(r.output.find(p), std::string::npos) << p << "\n" << r.output;
}

// Nothing but `names` in `dir`: no partial file, no leftover temporary.
void expect_only(const std::string& dir, std::set<std::string> names) {
  std::set<std::string> found;
  for (const auto& e : fs::directory_iterator(dir)) found.insert(e.path().filename().string());
  EXPECT_EQ(found, names);
}

class CliModels : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fresh_dir(::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  void TearDown() override { fs::remove_all(dir); }
  std::string at(const std::string& name) const { return dir + "/" + name; }

  std::string onnx(const compiler::Graph& g, const std::string& name) {
    save_onnx(g, at(name));
    return at(name);
  }
  // The good model compiled to a program in a directory of its own.
  std::string compiled() {
    const std::string m = onnx(good_model(), "good.onnx");
    fs::create_directories(at("prog"));
    const CliResult r = npusim("compile " + m + " -o " + at("prog/good.npub"));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return at("prog/good.npub");
  }

  std::string dir;
};

// ---- compiler crashes ----

TEST_F(CliModels, ZeroStrideIsRefusedBeforeShapeInference) {
  expect_refused(npusim("compile " + onnx(zero_stride_model(), "m.onnx") + " -o " + at("m.npub")),
                 {"node Conv 'c_Conv': attribute strides has 0; it must be positive"});
  EXPECT_FALSE(fs::exists(at("m.npub")));
}

TEST_F(CliModels, AnOpOfAnUnknownDomainIsRefusedNamingTheNode) {
  expect_refused(
      npusim("compile " + onnx(unknown_domain_model(), "m.onnx") + " -o " + at("m.npub")),
      {"node Relu 'r_Relu': op com.example.Relu is not an op npusim knows"});
}

TEST_F(CliModels, ConvWeightsThatDoNotMatchTheInputChannelsAreRefused) {
  expect_refused(
      npusim("compile " + onnx(channel_mismatch_model(), "m.onnx") + " -o " + at("m.npub")),
      {"node Conv 'c_Conv'", "of shape 8x5x3x3", "expect 5 input channels", "has 3"});
}

// Found by fuzz_onnx (docs/fuzzing.md): a negative scale reached the
// fixed-point multiplier and came out as std::invalid_argument naming no
// node or tensor; a huge one did the same ("scale too large").
TEST_F(CliModels, QuantisationScalesThatCannotBeUsedAreRefusedNamingTheNode) {
  expect_refused(
      npusim("compile " + onnx(input_scale_model(-0.05f), "m.onnx") + " -o " + at("m.npub")),
      {"node QuantizeLinear", "scale \"x_s\" holds -0.050000 at index 0",
       "a quantisation scale must be finite and not negative"});
  expect_refused(
      npusim("compile " + onnx(input_scale_model(NAN), "n.onnx") + " -o " + at("n.npub")),
      {"scale \"x_s\" holds nan at index 0"});
  expect_refused(
      npusim("compile " + onnx(input_scale_model(1e12f), "l.onnx") + " -o " + at("l.npub")),
      {"node Conv 'c_Conv': quantize_multiplier: scale", "is too large (must be below 2^30)"});
  EXPECT_FALSE(fs::exists(at("m.npub")));
}

// Found by a 30-minute fuzz_onnx run: the lowering indexed an empty weight
// zero point per channel (SIGSEGV). The Conv now stays on the CPU, where the
// run refuses the zero point naming its node.
TEST_F(CliModels, AnEmptyWeightZeroPointIsNotLoweredAndTheRunNamesTheNode) {
  const std::string m = onnx(empty_weight_zero_point_model(), "m.onnx");
  CliResult r = npusim("compile " + m + " -o " + at("m.npub"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("CPU  Conv"), std::string::npos) << r.output;
  r = npusim("run " + at("m.npub"));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("zero_point has shape 8x0, expected one value or 8"), std::string::npos)
      << r.output;
}

// Found by fuzz_onnx: a zero point of 9.4e19 (a float tensor) overflowed the
// conversion to int32 in the lowering. It is no zero point the NPU can use.
TEST_F(CliModels, AZeroPointOutsideInt32IsNotLowered) {
  compiler::Graph g = three_channel_model();
  g.set_constant("w_z", compiler::Tensor::from(compiler::DType::kFloat32, {8},
                                               std::vector<float>(8, 9.4e19f)));
  const CliResult r = npusim("compile " + onnx(g, "m.onnx") + " -o " + at("m.npub"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("CPU  Conv"), std::string::npos) << r.output;
}

// Found by fuzz_onnx: the lowering indexed an empty Conv bias per channel.
// The Conv stays on the CPU, and the run refuses the bias naming the node.
TEST_F(CliModels, ABiasOfNoValuesIsNotLoweredAndTheRunNamesTheNode) {
  const std::string m = onnx(empty_bias_model(), "m.onnx");
  CliResult r = npusim("compile " + m + " -o " + at("m.npub"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("CPU  Conv"), std::string::npos) << r.output;
  r = npusim("run " + at("m.npub"));
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Conv"), std::string::npos) << r.output;
}

// Found by fuzz_onnx: code generation read the zero point of the NPU
// segment's input from the QuantizeLinear that makes it, past the end of an
// empty tensor. The program compiles; the run refuses the zero point.
TEST_F(CliModels, AnEmptyZeroPointAtTheSegmentsInputIsNotReadAndTheRunNamesIt) {
  const std::string m = onnx(empty_input_zero_point_model(), "m.onnx");
  CliResult r = npusim("compile " + m + " -o " + at("m.npub"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("NPU  QPool 'p_MaxPool'"), std::string::npos) << r.output;
  r = npusim("run " + at("m.npub"));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("QuantizeLinear"), std::string::npos) << r.output;
}

// Found by fuzz_onnx: ONNX's shape inference (Debian's libonnx) read past its
// arrays (SIGSEGV) when a Conv's weights had another rank than its input.
TEST_F(CliModels, ConvWeightsOfAnotherRankThanTheInputAreRefused) {
  expect_refused(
      npusim("compile " + onnx(rank_mismatch_model(), "m.onnx") + " -o " + at("m.npub")),
      {"m.onnx: a Conv node's weights (input 1) have rank 4 but its input has rank 3; they must "
       "be equal"});
}

TEST_F(CliModels, AHugeInputIsRefusedBeforeCodeGeneration) {
  expect_refused(npusim("compile " + onnx(huge_input_model(), "m.onnx") + " -o " + at("m.npub")),
                 {"has more than 2147483648 elements, the limit per tensor"});
  expect_refused(npusim("compile " + onnx(good_model(), "g.onnx") + " -o " + at("m.npub") +
                        " --input-shape x=1x8x1048576x1048576"),
                 {"--input-shape x", "has more than 2147483648 elements"}, 2);
}

TEST_F(CliModels, HugeWeightsAreRefusedBeforeAllocating) {
  save_onnx_with_initializer_dims({int64_t{1} << 20, int64_t{1} << 20}, at("big.onnx"));
  expect_refused(npusim("compile " + at("big.onnx") + " -o " + at("m.npub")),
                 {"of shape [1048576,1048576] has more than 2147483648 elements"});
  // Within the limits, but more elements than the data it stores: refused
  // before the 150 MB are allocated.
  save_onnx_with_initializer_dims({4096, 4096, 3, 3}, at("lie.onnx"));
  expect_refused(npusim("compile " + at("lie.onnx") + " -o " + at("m.npub")),
                 {"tensor \"b1\" has 64 raw bytes for 603979776"});
}

TEST_F(CliModels, AnEmptyGraphIsRefused) {
  expect_refused(npusim("compile " + onnx(empty_model(), "m.onnx") + " -o " + at("m.npub")),
                 {"the model has no nodes"});
}

TEST_F(CliModels, TooFewSemaphoresAreRefusedNamingTheNeed) {
  for (int n : {1, 4, 17})
    expect_refused(
        npusim("compile " + onnx(good_model(), "m.onnx") + " -o " + at("m.npub") +
               " --set num_semaphores=" + std::to_string(n)),
        {"num_semaphores=" + std::to_string(n) + " is too few", "uses 18 semaphores per PE"});
  EXPECT_EQ(npusim("compile " + at("m.onnx") + " -o " + at("m.npub") + " --set num_semaphores=18")
                .exit_code,
            0);
}

// ---- run inputs ----

TEST_F(CliModels, RunRefusesInputsItWouldChangeSilently) {
  const std::string prog = compiled();
  compiler::Tensor x(compiler::DType::kFloat32, {1, 8, 16, 16});
  x.as<float>()[5] = std::nanf("");
  compiler::write_npy(at("nan.npy"), x);
  expect_refused(npusim("run " + prog + " -i " + at("nan.npy")),
                 {"input \"x\" holds NaN (at element 5 of 2048)"});
  // float64: the header says '<f8'; the model takes float32.
  std::string f64("\x93NUMPY\x01\x00", 8);
  const std::string header =
      "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 8, 16, 16), }\n";
  f64.push_back(char(header.size()));
  f64.push_back(0);
  write_text(at("f64.npy"), f64 + header + std::string(2048 * 8, '\0'));
  expect_refused(npusim("run " + prog + " -i " + at("f64.npy")),
                 {at("f64.npy") + ": holds float64 data; model inputs are float32"});
  compiler::write_npy(at("ok.npy"), compiler::Tensor(compiler::DType::kFloat32, {1, 8, 16, 16}));
  expect_refused(npusim("run " + prog + " -i " + at("ok.npy") + " -i " + at("ok.npy")),
                 {"-i is given twice without a name"}, 2);
  expect_refused(npusim("run " + prog + " -i x=" + at("ok.npy") + " -i x=random"),
                 {"-i gives input \"x\" twice"}, 2);
  expect_refused(npusim("run " + prog + " -i " + dir), {dir + ": is a directory"});
}

TEST_F(CliModels, RunRefusesANonFiniteScale) {
  const std::string prog = compiled();
  for (const char* v : {"nan", "inf", "-inf", "1/0"})
    expect_refused(npusim("run " + prog + " --scale " + v), {"--scale takes a"}, 2);
  expect_refused(npusim("run " + prog + " --mean 0,nan,0"), {"--mean takes a finite number"}, 2);
  expect_refused(npusim("run " + prog + " --pad-value nan"), {"--pad-value takes a finite number"},
                 2);
}

TEST_F(CliModels, AnImageClaimingTooManyPixelsIsRefusedBeforeDecoding) {
  // A PNG signature and an IHDR chunk of 16000 x 16000 RGB, and no pixel data.
  const std::string png = std::string("\x89PNG\r\n\x1a\n", 8) +
                          std::string(
                              "\x00\x00\x00\x0dIHDR\x00\x00\x3e\x80\x00\x00\x3e\x80\x08\x02"
                              "\x00\x00\x00\x00\x00\x00\x00",
                              25);
  write_text(at("big.png"), png);
  const std::string m = onnx(three_channel_model(), "rgb.onnx");
  expect_refused(npusim("run " + m + " -i " + at("big.png")),
                 {at("big.png") + ": cannot decode image (image of 16000x16000 pixels is larger "
                                  "than the 67108864 pixels allowed (docs/limits.md))"});
  // Not a model input an image can fill (8 channels): refused, not an assertion inside stb.
  write_text(at("ok.png"), png);
  expect_refused(npusim("run " + compiled() + " -i " + at("ok.png")),
                 {"the input's image size 16x16x8 is not one an image can fill"});
}

// ---- outputs ----

TEST_F(CliModels, AFullDiskLeavesNoPartialTraceAndAnError) {
  const std::string prog = compiled();
  const CliResult r = npusim(
      "bench " + prog + " -n 20 -T " + at("out/trace.json") + " -o " + at("out/figures.json"),
      /*file_limit_kib=*/0);
  ASSERT_EQ(r.exit_code, 1) << "no out/ directory yet: " << r.output;
  fs::create_directories(at("out"));
  const CliResult full =
      npusim("bench " + prog + " -n 20 -T " + at("out/trace.json"), /*file_limit_kib=*/4);
  expect_refused(full, {at("out/trace.json") + ": cannot write: File too large"});
  expect_only(at("out"), {});
}

TEST_F(CliModels, AFailedWriteKeepsThePreviousFile) {
  const std::string prog = compiled();
  write_text(at("prog/old.s"), "previous\n");
  expect_refused(npusim("disasm " + prog + " -o " + at("prog/old.s"), /*file_limit_kib=*/1),
                 {at("prog/old.s") + ": cannot write: File too large",
                  "the previous file, if any, is unchanged"});
  EXPECT_EQ(slurp(at("prog/old.s")), "previous\n");
  write_text(at("prog/y.npy"), "previous\n");
  expect_refused(npusim("run " + prog + " -o " + at("prog/y.npy"), /*file_limit_kib=*/1),
                 {at("prog/y.npy") + ": cannot write: File too large"});
  EXPECT_EQ(slurp(at("prog/y.npy")), "previous\n");
  expect_only(at("prog"), {"good.npub", "old.s", "y.npy"});
}

TEST_F(CliModels, AnOutputUnderAFileIsAnError) {
  const std::string prog = compiled();
  expect_refused(
      npusim("bench " + prog + " -n 2 -o " + prog + "/f.json"),
      {prog + "/f.json: cannot write: cannot create a file in " + prog + ": Not a directory"});
  expect_refused(npusim("disasm " + prog + " -o " + prog + "/f.s"),
                 {prog + "/f.s: cannot write", "Not a directory"});
}

}  // namespace
}  // namespace npusim::testing
