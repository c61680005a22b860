// YOLOv8 decode on hand-built head outputs of a 64x64 input (grids 8x8, 4x4,
// 2x2, 3 classes): a DFL peaked on one bin per side gives exact distances.
#include <gtest/gtest.h>

#include <cmath>

#include "npusim/vision/yolov8.hpp"

namespace npusim::vision {
namespace {

using compiler::DType;
using compiler::Tensor;
using compiler::TensorMap;

constexpr int kClasses = 3;

// Box branches all-zero (uniform bins), class logits -10 (score 4.5e-5).
TensorMap blank_heads(int classes = kClasses) {
  TensorMap m;
  for (const auto& [level, grid] : {std::pair{"p3", 8}, {"p4", 4}, {"p5", 2}}) {
    m[std::string("box_") + level] = Tensor(DType::kFloat32, {1, 64, grid, grid});
    Tensor cls(DType::kFloat32, {1, classes, grid, grid});
    for (float& v : cls.as<float>()) v = -10.0f;
    m[std::string("cls_") + level] = std::move(cls);
  }
  return m;
}

// Cell (row, col) of a level: class `c` logit, and each side's DFL peaked on
// bin `bins[s]` (logit 100: softmax is one-hot to float precision).
void set_cell(TensorMap& m, const std::string& level, int row, int col, int c, float logit,
              const int (&bins)[4]) {
  Tensor& cls = m.at("cls_" + level);
  const int64_t grid = cls.shape()[2], cells = grid * grid, i = row * grid + col;
  cls.as<float>()[size_t(c * cells + i)] = logit;
  auto box = m.at("box_" + level).as<float>();
  for (int s = 0; s < 4; ++s) box[size_t((s * 16 + bins[s]) * cells + i)] = 100.0f;
}

TEST(Yolov8, PeakedDflAtAKnownCellGivesAnExactBox) {
  TensorMap m = blank_heads();
  // Stride 16 (4x4 grid), row 1, column 2: centre (2.5, 1.5) cells; l 1, t 1, r 1, b 2.
  set_cell(m, "p4", 1, 2, 2, 3.0f, {1, 1, 1, 2});
  const auto boxes = decode_yolov8(m);
  ASSERT_EQ(boxes.size(), 1u);
  const Box& b = boxes[0];
  EXPECT_EQ(b.cls, 2);
  EXPECT_FLOAT_EQ(b.score, 1.0f / (1.0f + std::exp(-3.0f)));
  EXPECT_NEAR(b.x0, 24.0f / 64, 1e-6f);  // (2.5 - 1) x 16 px
  EXPECT_NEAR(b.y0, 8.0f / 64, 1e-6f);   // (1.5 - 1) x 16
  EXPECT_NEAR(b.x1, 56.0f / 64, 1e-6f);  // (2.5 + 1) x 16
  EXPECT_NEAR(b.y1, 56.0f / 64, 1e-6f);  // (1.5 + 2) x 16
  EXPECT_TRUE(b.keypoints.empty());
}

TEST(Yolov8, EachLevelUsesItsStride) {
  TensorMap m = blank_heads();
  set_cell(m, "p3", 0, 0, 0, 2.0f, {0, 0, 1, 1});  // stride 8: (0.5 +- ...) x 8
  set_cell(m, "p5", 1, 1, 1, 1.0f, {1, 1, 0, 0});  // stride 32
  const auto boxes = decode_yolov8(m);
  ASSERT_EQ(boxes.size(), 2u);
  EXPECT_EQ(boxes[0].cls, 0);  // higher score first
  EXPECT_NEAR(boxes[0].x0, 4.0f / 64, 1e-6f);
  EXPECT_NEAR(boxes[0].x1, 12.0f / 64, 1e-6f);
  EXPECT_EQ(boxes[1].cls, 1);
  EXPECT_NEAR(boxes[1].x0, 16.0f / 64, 1e-6f);  // (1.5 - 1) x 32
  EXPECT_NEAR(boxes[1].y1, 48.0f / 64, 1e-6f);  // (1.5 + 0) x 32
}

TEST(Yolov8, DflIsTheExpectationOverBins) {
  TensorMap m = blank_heads();
  set_cell(m, "p3", 4, 4, 0, 2.0f, {2, 2, 2, 2});
  // A second peak of the same height on bin 3 of the left side: distance 2.5.
  m.at("box_p3").as<float>()[size_t((0 * 16 + 3) * 64 + 4 * 8 + 4)] = 100.0f;
  const auto boxes = decode_yolov8(m);
  ASSERT_EQ(boxes.size(), 1u);
  EXPECT_NEAR(boxes[0].x0, (4.5f - 2.5f) * 8 / 64, 1e-6f);
  EXPECT_NEAR(boxes[0].x1, (4.5f + 2.0f) * 8 / 64, 1e-6f);
}

TEST(Yolov8, UniformBinsGiveSevenAndAHalfCells) {
  TensorMap m = blank_heads();
  m.at("cls_p5").as<float>()[0] = 5.0f;  // class 0, cell (0, 0); box logits all 0
  const auto boxes = decode_yolov8(m);
  ASSERT_EQ(boxes.size(), 1u);
  EXPECT_NEAR(boxes[0].x0, (0.5f - 7.5f) * 32 / 64, 1e-5f);  // unclipped
  EXPECT_NEAR(boxes[0].x1, (0.5f + 7.5f) * 32 / 64, 1e-5f);
}

TEST(Yolov8, NmsIsPerClassAndThresholdsApply) {
  TensorMap m = blank_heads();
  // The box (0.5, 0.5)-(4.5, 4.5) cells from three cells: twice class 0, once class 1.
  set_cell(m, "p3", 2, 2, 0, 3.0f, {2, 2, 2, 2});
  set_cell(m, "p3", 2, 3, 0, 2.0f, {3, 2, 1, 2});   // one cell right
  set_cell(m, "p3", 2, 1, 1, 1.0f, {1, 2, 3, 2});   // one cell left
  set_cell(m, "p4", 3, 3, 2, -1.5f, {1, 1, 1, 1});  // sigmoid 0.18 < 0.25
  auto boxes = decode_yolov8(m);
  ASSERT_EQ(boxes.size(), 2u);
  EXPECT_EQ(boxes[0].cls, 0);
  EXPECT_EQ(boxes[1].cls, 1);
  YoloOptions o;
  o.score_threshold = 0.1f;
  EXPECT_EQ(decode_yolov8(m, o).size(), 3u);
  o.max_boxes = 1;
  EXPECT_EQ(decode_yolov8(m, o).size(), 1u);
}

TEST(Yolov8, OutputsArePickedByShape) {
  TensorMap m = blank_heads();
  TensorMap renamed;  // names that say nothing, in an order that says nothing
  const char* names[] = {"output5", "output2", "output0", "output4", "output1", "output3"};
  int i = 0;
  for (auto& [name, t] : m) renamed[names[i++]] = t;
  renamed["extra_scalar"] = Tensor(DType::kFloat32, {1});  // not rank 4: ignored
  const auto levels = find_yolov8_outputs(renamed);
  ASSERT_EQ(levels.size(), 3u);
  for (size_t l = 0; l < 3; ++l) {
    EXPECT_EQ(levels[l].stride, 8 << l);
    EXPECT_EQ(levels[l].box->shape()[1], 64);
    EXPECT_EQ(levels[l].cls->shape()[1], kClasses);
    EXPECT_EQ(levels[l].box->shape()[2], 8 >> l);
  }
}

TEST(Yolov8, SixtyFourClassesNeedBoxInTheName) {
  TensorMap m = blank_heads(64);
  const auto levels = find_yolov8_outputs(m);
  EXPECT_EQ(levels[0].box, &m.at("box_p3"));
  EXPECT_EQ(levels[0].cls, &m.at("cls_p3"));
  TensorMap unnamed;
  for (auto& [name, t] : m) unnamed["t_" + name.substr(4) + (name[0] == 'b' ? "_x" : "_y")] = t;
  EXPECT_THROW(find_yolov8_outputs(unnamed), std::runtime_error);
}

TEST(Yolov8, MissingOutputsAreNamed) {
  TensorMap m = blank_heads();
  m.erase("cls_p4");
  try {
    find_yolov8_outputs(m);
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("expected 2 outputs on the 4x4 grid, found 1"), std::string::npos) << msg;
    EXPECT_NE(msg.find("box_p4 [1x64x4x4 float32]"), std::string::npos) << msg;
  }
  m.erase("box_p4");
  EXPECT_THROW(find_yolov8_outputs(m), std::runtime_error);  // two grids only
}

}  // namespace
}  // namespace npusim::vision
