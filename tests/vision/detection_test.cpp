// IoU, hard NMS (class-agnostic and per class) and MediaPipe's weighted NMS
// on hand-made boxes with exact answers.
#include <gtest/gtest.h>

#include "npusim/vision/detection.hpp"

namespace npusim::vision {
namespace {

Box box(float x0, float y0, float x1, float y1, float score = 1.0f, int cls = 0) {
  return Box{x0, y0, x1, y1, score, cls, {}};
}

TEST(Iou, ExactValues) {
  EXPECT_FLOAT_EQ(iou(box(0, 0, 1, 1), box(0, 0, 1, 1)), 1.0f);
  // Half overlap: inter 0.5, union 1.5.
  EXPECT_FLOAT_EQ(iou(box(0, 0, 1, 1), box(0.5f, 0, 1.5f, 1)), 1.0f / 3.0f);
  // Quarter-size box inside: inter 0.25, union 1.
  EXPECT_FLOAT_EQ(iou(box(0, 0, 1, 1), box(0.25f, 0.25f, 0.75f, 0.75f)), 0.25f);
  EXPECT_FLOAT_EQ(iou(box(0, 0, 1, 1), box(1, 0, 2, 1)), 0.0f);  // touching edges
  EXPECT_FLOAT_EQ(iou(box(0, 0, 1, 1), box(2, 2, 3, 3)), 0.0f);
}

TEST(Iou, DegenerateBoxesOverlapNothing) {
  EXPECT_FLOAT_EQ(iou(box(0.5f, 0.5f, 0.5f, 0.5f), box(0.5f, 0.5f, 0.5f, 0.5f)), 0.0f);
  EXPECT_FLOAT_EQ(iou(box(1, 1, 0, 0), box(0, 0, 1, 1)), 0.0f);  // inverted corners
}

TEST(Nms, KeepsBestOfOverlappingAndSortsByScore) {
  const std::vector<Box> in = {box(0, 0, 1, 1, 0.6f), box(0.05f, 0, 1.05f, 1, 0.9f),
                               box(2, 2, 3, 3, 0.7f)};
  const auto out = nms(in, 0.5f);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_FLOAT_EQ(out[0].score, 0.9f);
  EXPECT_FLOAT_EQ(out[0].x0, 0.05f);
  EXPECT_FLOAT_EQ(out[1].score, 0.7f);
}

TEST(Nms, ThresholdIsStrict) {
  // IoU exactly 1/3: kept at threshold 1/3, dropped just below.
  const std::vector<Box> in = {box(0, 0, 1, 1, 0.9f), box(0.5f, 0, 1.5f, 1, 0.8f)};
  EXPECT_EQ(nms(in, 1.0f / 3.0f).size(), 2u);
  EXPECT_EQ(nms(in, 0.33f).size(), 1u);
}

TEST(Nms, MaxOutAndTiesKeepInputOrder) {
  const std::vector<Box> in = {box(0, 0, 1, 1, 0.5f, 1), box(2, 0, 3, 1, 0.5f, 2),
                               box(4, 0, 5, 1, 0.5f, 3)};
  const auto out = nms(in, 0.5f, 2);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].cls, 1);
  EXPECT_EQ(out[1].cls, 2);
  EXPECT_TRUE(nms({}, 0.5f).empty());
}

TEST(Nms, ClassAwareSuppressesWithinClassOnly) {
  const std::vector<Box> in = {box(0, 0, 1, 1, 0.9f, 0), box(0, 0, 1, 1, 0.8f, 1),
                               box(0, 0, 1, 1, 0.7f, 0)};
  EXPECT_EQ(nms(in, 0.5f).size(), 1u);
  const auto out = class_aware_nms(in, 0.5f);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].cls, 0);
  EXPECT_FLOAT_EQ(out[0].score, 0.9f);
  EXPECT_EQ(out[1].cls, 1);
}

TEST(WeightedNms, AveragesOverlappingBoxesByScore) {
  Box a = box(0, 0, 1, 1, 0.75f);
  a.keypoints = {{0.5f, 0.5f}};
  Box b = box(0.2f, 0, 1.2f, 1, 0.25f);  // IoU 0.8/1.2 with a
  b.keypoints = {{0.9f, 0.1f}};
  const Box far = box(5, 5, 6, 6, 0.5f);
  const auto out = weighted_nms({b, far, a}, 0.3f);
  ASSERT_EQ(out.size(), 2u);
  // Weights 0.75 and 0.25 (total 1): x0 = 0.25 * 0.2, x1 = 0.75 + 0.25 * 1.2.
  EXPECT_FLOAT_EQ(out[0].x0, 0.05f);
  EXPECT_FLOAT_EQ(out[0].x1, 1.05f);
  EXPECT_FLOAT_EQ(out[0].y0, 0.0f);
  EXPECT_FLOAT_EQ(out[0].y1, 1.0f);
  EXPECT_FLOAT_EQ(out[0].score, 0.75f);  // the best box's score, not a mean
  ASSERT_EQ(out[0].keypoints.size(), 1u);
  EXPECT_FLOAT_EQ(out[0].keypoints[0].first, 0.6f);
  EXPECT_FLOAT_EQ(out[0].keypoints[0].second, 0.4f);
  EXPECT_FLOAT_EQ(out[1].x0, 5.0f);  // the far box alone is unchanged
  EXPECT_FLOAT_EQ(out[1].score, 0.5f);
}

TEST(WeightedNms, GroupsAroundTheBestBoxOnly) {
  // b overlaps a and c, but a and c do not overlap: a takes b, c stays alone.
  const Box a = box(0, 0, 1, 1, 0.9f), b = box(0.5f, 0, 1.5f, 1, 0.8f), c = box(1, 0, 2, 1, 0.7f);
  const auto out = weighted_nms({a, b, c}, 0.3f);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_NEAR(out[0].x0, 0.8f * 0.5f / 1.7f, 1e-6f);
  EXPECT_FLOAT_EQ(out[1].x0, 1.0f);
  EXPECT_EQ(weighted_nms({a, b, c}, 0.3f, 1).size(), 1u);
}

}  // namespace
}  // namespace npusim::vision
