// The developer models (../shared/models.md), quantised on real photos,
// compiled for one PE and for the fused pair, run through the runtime on the
// simulated NPU (CPU segments on the host, NPU segments on the device): every
// output is bit-identical to the reference executor on the lowered graph
// (the NPU's integer semantics). BlazeFace on astronaut.png is the main job:
// the decoded face lands on the face.
#include <gtest/gtest.h>

#include "common/model_cache.hpp"
#include "npusim/compiler/lower_quantized.hpp"
#include "npusim/compiler/onnx_io.hpp"
#include "npusim/compiler/quantizer.hpp"
#include "npusim/vision/blazeface.hpp"
#include "runtime_fixture.hpp"

namespace npusim::testing {
namespace {

// The cached file's path; a missing file fails the test, naming the script.
std::string cached(const std::string& kind, const std::string& name, const std::string& script) {
  const std::string path = cache_dir() + "/" + kind + "/" + name;
  EXPECT_TRUE(file_present(path, script));
  return path;
}

struct DeveloperModel {
  std::string file;
  std::map<std::string, Shape> input_shapes;
  compiler::ImagePreprocess pp;
  std::vector<std::string> calib;  // images, with 2 crops each
  std::string image;               // the input
};

// Quantised like `npusim quantize` does by default (percentile-asym, bias correction).
compiler::QuantizedModel quantize(const DeveloperModel& m, const Graph& g) {
  std::vector<compiler::TensorMap> calib;
  compiler::ImagePreprocess pp = m.pp;
  pp.crops = 2;
  for (const auto& img : m.calib)
    for (Tensor& t : compiler::load_image(cached("images", img, "scripts/fetch-images.sh"),
                                          g.value(g.inputs[0]).shape, pp))
      calib.push_back({{g.inputs[0], std::move(t)}});
  return compiler::quantize(g, calib, compiler::parse_range_method("percentile"));
}

class DeveloperModelTest : public RuntimeTest {
 protected:
  // Returns the outputs by name of the single-PE run (checked against the fused run too).
  compiler::TensorMap check(const DeveloperModel& m) {
    compiler::PrepareOptions po;
    po.input_shapes = m.input_shapes;
    const Graph g =
        compiler::prepare_model(cached("models", m.file, "scripts/fetch-models.sh --no-yolo"), po);
    const Graph qdq = round_trip(quantize(m, g).graph, m.file);
    const Tensor input = compiler::load_image(cached("images", m.image, "scripts/fetch-images.sh"),
                                              qdq.value(qdq.inputs[0]).shape, m.pp)
                             .at(0);
    Graph golden = qdq;
    compiler::lower_quantized(golden);
    const compiler::TensorMap want = compiler::execute(golden, {{qdq.inputs[0], input}});

    compiler::TensorMap got;
    for (const auto& [target, device] :
         {std::pair{isa::Mode::kSingle, "npu0pe1"}, std::pair{isa::Mode::kFused, "npu0pe0-1"}}) {
      compiler::CompileOptions co;
      co.hw = hw;
      co.target = target;
      auto model = runtime::Model::from_program(compiler::compile(qdq, co).program, m.file, hw);
      runtime::Runner runner(model, options(device));
      const std::vector<Tensor> out = runner.run({input});
      EXPECT_GT(runner.last_timing().compute_ps, 0u) << device;
      for (size_t i = 0; i < out.size(); ++i) {
        const std::string& name = model->outputs()[i].name;
        EXPECT_EQ(out[i].raw(), want.at(name).raw()) << m.file << " on " << device << ": " << name;
        got[name] = out[i];
      }
    }
    return got;
  }
};

TEST_F(DeveloperModelTest, BlazeFaceFindsTheAstronautsFaceBitExactOnBothTargets) {
  DeveloperModel m{
      "blazeface.onnx", {}, {}, {"astronaut.png", "chelsea.png", "coffee.png"}, "astronaut.png"};
  m.pp.scale = 2.0f / 255.0f;  // [-1, 1], MediaPipe's convention
  m.pp.mean = {1.0f};
  const auto faces = vision::decode_blazeface(check(m));
  ASSERT_EQ(faces.size(), 1u);
  EXPECT_GT(faces[0].score, 0.8f);
  EXPECT_NEAR((faces[0].x0 + faces[0].x1) / 2, 0.44, 0.03);  // the face (FP32: 0.439, 0.250)
  EXPECT_NEAR((faces[0].y0 + faces[0].y1) / 2, 0.25, 0.03);
  EXPECT_NEAR(faces[0].x1 - faces[0].x0, 0.19, 0.03);
}

TEST_F(DeveloperModelTest, PpOcrClsIsBitExactOnBothTargets) {
  DeveloperModel m{
      "ppocr_cls.onnx", {{"x", {1, 3, 48, 192}}}, {}, {"text.png", "page.png"}, "text.png"};
  m.pp.letterbox = true;
  m.pp.mean = {0.5f};
  m.pp.std = {0.5f};
  check(m);
}

TEST_F(DeveloperModelTest, PpOcrDetIsBitExactOnBothTargets) {
  DeveloperModel m{"ppocr_det.onnx", {{"x", {1, 3, 320, 320}}}, {}, {"page.png"}, "text.png"};
  m.pp.letterbox = true;
  m.pp.mean = {0.485f, 0.456f, 0.406f};
  m.pp.std = {0.229f, 0.224f, 0.225f};
  check(m);
}

}  // namespace
}  // namespace npusim::testing
