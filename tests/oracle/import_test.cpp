// import_onnx with min_opset on the real PP-OCR cls (opset 9): ONNX's
// version converter needs the Softmax input's shape, which ONNX's shape
// inference cannot compute there (Shape -> Cast -> Slice -> Concat ->
// Reshape). The converted graph computes what ONNX Runtime computes on the
// original file.
#include <gtest/gtest.h>

#include "npusim/compiler/calibration.hpp"
#include "npusim/compiler/onnx_io.hpp"
#include "oracle.hpp"

namespace npusim::testing {
namespace {

TEST(OracleImport, PpOcrClsConvertsToOpset13AndMatchesOnnxRuntime) {
  const std::string model = cached_model_path("ppocr_cls.onnx");
  ASSERT_TRUE(file_present(model, "scripts/fetch-models.sh"));
  const std::string image = cached_image_path("text.png");
  ASSERT_TRUE(file_present(image, "scripts/fetch-images.sh"));
  ASSERT_TRUE(oracle_present());

  compiler::ImportOptions o;
  o.input_shapes["x"] = {1, 3, 48, 192};
  o.min_opset = 13;
  const Graph g = compiler::import_onnx(model, o);
  EXPECT_EQ(g.opset, 13);
  int softmax = 0;
  for (const auto& n : g.nodes) {
    if (n.op == "Softmax") {
      ++softmax;
      EXPECT_EQ(n.i("axis", 0), -1) << "Softmax-13 over the last of the [1, 2] logits";
    }
    if (n.op == "Clip") {
      EXPECT_EQ(n.inputs.size(), 3u) << "Clip-11 takes min/max as inputs";
    }
  }
  EXPECT_EQ(softmax, 1);
  const auto& out = g.value("softmax_0.tmp_0");
  EXPECT_TRUE(out.rank_known);
  EXPECT_EQ(out.shape, (compiler::Shape{1, 2}));

  compiler::ImagePreprocess pp;
  pp.letterbox = true;
  pp.mean = {0.5f};
  pp.std = {0.5f};
  const TensorMap in = compiler::load_inputs(g, {image}, pp, 0, 1).at(0);
  const TensorMap ours = compiler::execute(g, in);
  TempDir dir("oracle_import");
  const TensorMap ort = run_ort(model, in, {"softmax_0.tmp_0"}, "disabled", dir.path());
  const double diff = max_abs_diff(ours.at("softmax_0.tmp_0"), ort.at("softmax_0.tmp_0"));
  std::printf("ppocr_cls opset 9 -> 13: max |reference - ONNX Runtime| %.3g\n", diff);
  EXPECT_LT(diff, 1e-5);
}

TEST(OracleImport, DynamicInputsGiveAConversionErrorThatSaysSo) {
  const std::string model = cached_model_path("ppocr_cls.onnx");
  ASSERT_TRUE(file_present(model, "scripts/fetch-models.sh"));
  compiler::ImportOptions o;
  o.min_opset = 13;
  try {
    compiler::import_onnx(model, o);
    FAIL() << "expected a conversion error (the Softmax input's shape is unknown)";
  } catch (const compiler::CompileError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find(model), std::string::npos) << m;
    EXPECT_NE(m.find("opset 9 to 13"), std::string::npos) << m;
    EXPECT_NE(m.find("--input-shape"), std::string::npos) << m;
  }
}

}  // namespace
}  // namespace npusim::testing
