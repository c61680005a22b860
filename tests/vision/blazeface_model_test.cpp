// End to end on the real FP32 BlazeFace front model (scripts/fetch-models.sh)
// and scikit-image's photos (scripts/fetch-images.sh), through the reference
// executor: the face box must land on the astronaut's face, and photos of a
// cat and of a coffee cup must give none. Skipped without the files: tests need no network.
#include <gtest/gtest.h>

#include <cstdio>

#include "common/model_cache.hpp"
#include "npusim/compiler/calibration.hpp"
#include "npusim/compiler/executor.hpp"
#include "npusim/compiler/onnx_io.hpp"
#include "npusim/vision/blazeface.hpp"

namespace npusim::vision {
namespace {

// Runs the model on one photo, preprocessed as MediaPipe feeds it: RGB
// stretched to 128x128, scaled to [-1, 1].
std::vector<Box> faces_in(const std::string& model, const std::string& image,
                          const BlazeFaceOptions& options = {}) {
  const compiler::Graph g = compiler::import_onnx(model);
  const std::string& input = g.inputs.at(0);
  compiler::ImagePreprocess pp;
  pp.scale = 2.0f / 255.0f;
  pp.mean = {1.0f};
  compiler::TensorMap in;
  in[input] = compiler::load_image(image, g.value(input).shape, pp).at(0);
  return decode_blazeface(compiler::execute(g, in), options);
}

// Whether both files are cached (the tests skip otherwise).
bool have(const std::string& model, const std::string& image) {
  return !model.empty() && !image.empty();
}

TEST(BlazeFaceModel, FindsTheAstronautsFace) {
  const std::string model = testing::cached_file("models", "blazeface.onnx");
  const std::string image = testing::cached_file("images", "astronaut.png");
  if (!have(model, image))
    GTEST_SKIP() << "blazeface.onnx / astronaut.png not cached "
                    "(scripts/fetch-models.sh, scripts/fetch-images.sh)";
  const auto faces = faces_in(model, image);
  for (const Box& f : faces)
    std::printf("face score %.4f centre (%.4f, %.4f) size %.4f x %.4f\n", f.score, f.centre_x(),
                f.centre_y(), f.width(), f.height());
  ASSERT_EQ(faces.size(), 1u);
  const Box& f = faces[0];
  EXPECT_GT(f.score, 0.8f);
  EXPECT_NEAR(f.centre_x(), 0.44f, 0.05f);
  EXPECT_NEAR(f.centre_y(), 0.25f, 0.05f);
  EXPECT_NEAR(f.width(), 0.19f, 0.05f);
  ASSERT_EQ(f.keypoints.size(), 6u);
  for (const auto& [x, y] : f.keypoints) {  // eyes, nose, mouth, ears: near the box
    EXPECT_NEAR(x, f.centre_x(), f.width()) << "key point far from the face";
    EXPECT_NEAR(y, f.centre_y(), f.height()) << "key point far from the face";
  }
}

TEST(BlazeFaceModel, NoFaceWithoutAPerson) {
  const std::string model = testing::cached_file("models", "blazeface.onnx");
  for (const char* name : {"chelsea.png", "coffee.png"}) {
    const std::string image = testing::cached_file("images", name);
    if (!have(model, image))
      GTEST_SKIP() << "blazeface.onnx / " << name
                   << " not cached (scripts/fetch-models.sh, scripts/fetch-images.sh)";
    BlazeFaceOptions best_only;  // no threshold: the best anchor, whatever its score
    best_only.score_threshold = 0.0f;
    best_only.max_faces = 1;
    const auto faces = faces_in(model, image, best_only);
    ASSERT_EQ(faces.size(), 1u);
    std::printf("%s: best score %.4f\n", name, faces[0].score);
    EXPECT_LT(faces[0].score, 0.5f) << name;
  }
}

}  // namespace
}  // namespace npusim::vision
