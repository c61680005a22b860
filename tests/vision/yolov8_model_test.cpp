// The YOLOv8n graph of models/build_yolov8n.py (random weights, so no
// semantic check) through the reference executor: the six head outputs are
// found by shape under their real names and decode to a sane box list.
// Skipped without the cached model (scripts/fetch-models.sh builds it).
#include <gtest/gtest.h>

#include <cmath>

#include "common/model_cache.hpp"
#include "npusim/compiler/calibration.hpp"
#include "npusim/compiler/executor.hpp"
#include "npusim/compiler/onnx_io.hpp"
#include "npusim/vision/yolov8.hpp"

namespace npusim::vision {
namespace {

TEST(Yolov8Model, HeadOutputsDecodeOnAPhoto) {
  const std::string model = testing::cached_file("models", "yolov8n.onnx");
  const std::string image = testing::cached_file("images", "astronaut.png");
  if (model.empty() || image.empty())
    GTEST_SKIP() << "yolov8n.onnx / astronaut.png not cached "
                    "(scripts/fetch-models.sh, scripts/fetch-images.sh)";
  const compiler::Graph g = compiler::import_onnx(model);
  const std::string& input = g.inputs.at(0);
  compiler::TensorMap in;
  in[input] = compiler::load_image(image, g.value(input).shape, {}).at(0);  // [0, 1]
  const compiler::TensorMap out = compiler::execute(g, in);

  if (out.count("box_p3"))
    GTEST_SKIP() << model << " was built by an older models/build_yolov8n.py (outputs box_p3, "
                 << "...): run scripts/fetch-models.sh to rebuild it";
  const auto levels = find_yolov8_outputs(out);
  ASSERT_EQ(levels.size(), 3u);
  // The names of an Ultralytics export, where the Warboy tutorial cuts the graph.
  for (size_t l = 0; l < 3; ++l) {
    const std::string i = std::to_string(l);
    EXPECT_EQ(levels[l].box, &out.at("/model.22/cv2." + i + "/cv2." + i + ".2/Conv_output_0"));
    EXPECT_EQ(levels[l].cls, &out.at("/model.22/cv3." + i + "/cv3." + i + ".2/Conv_output_0"));
  }
  const auto boxes = decode_yolov8(levels);
  EXPECT_LE(boxes.size(), 300u);
  for (size_t i = 0; i < boxes.size(); ++i) {
    const Box& b = boxes[i];
    EXPECT_GT(b.score, 0.25f);
    if (i > 0) {
      EXPECT_LE(b.score, boxes[i - 1].score);
    }
    EXPECT_TRUE(b.cls >= 0 && b.cls < 80) << b.cls;
    EXPECT_TRUE(std::isfinite(b.x0) && std::isfinite(b.y1));
    EXPECT_LT(b.x0, b.x1);
    EXPECT_LT(b.y0, b.y1);
  }
}

}  // namespace
}  // namespace npusim::vision
