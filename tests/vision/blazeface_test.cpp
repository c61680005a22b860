// BlazeFace decode on hand-built output tensors: one strong anchor at a known
// cell gives an exactly known box and key points (regressions chosen as
// binary fractions of 128 so every value is exact in float).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "npusim/vision/blazeface.hpp"

namespace npusim::vision {
namespace {

using compiler::DType;
using compiler::Tensor;
using compiler::TensorMap;

// Four outputs with every score at `background` (raw) and zero regressions,
// under names that say nothing (exports differ).
TensorMap blank_outputs(float background = -10.0f) {
  TensorMap m;
  m["out_a"] = Tensor(DType::kFloat32, {1, 384, 16});
  m["out_b"] = Tensor(DType::kFloat32, {1, 512, 1});
  m["out_c"] = Tensor(DType::kFloat32, {1, 512, 16});
  m["out_d"] = Tensor(DType::kFloat32, {1, 384, 1});
  for (const char* s : {"out_b", "out_d"})
    for (float& v : m[s].as<float>()) v = background;
  return m;
}

// Sets anchor `i` of one output pair: raw score and regressions x, y, w, h
// (input pixels), key point k at (8 k, -8 k).
void set_anchor(TensorMap& m, const char* scores, const char* boxes, int i, float raw, float x,
                float y, float w, float h) {
  m[scores].as<float>()[size_t(i)] = raw;
  float* r = m[boxes].as<float>().data() + size_t(i) * 16;
  r[0] = x, r[1] = y, r[2] = w, r[3] = h;
  for (int k = 0; k < 6; ++k) r[4 + 2 * k] = 8.0f * float(k), r[5 + 2 * k] = -8.0f * float(k);
}

TEST(BlazeFace, AnchorsFollowTheOutputOrder) {
  const auto a = blazeface_anchors();
  ASSERT_EQ(a.size(), 896u);
  EXPECT_FLOAT_EQ(a[0].first, 0.5f / 16);
  EXPECT_FLOAT_EQ(a[1].first, 0.5f / 16);  // two anchors per stride-8 cell
  EXPECT_FLOAT_EQ(a[2].first, 1.5f / 16);
  EXPECT_FLOAT_EQ(a[107].first, 5.5f / 16);  // row 3, column 5, anchor 1
  EXPECT_FLOAT_EQ(a[107].second, 3.5f / 16);
  EXPECT_FLOAT_EQ(a[512].first, 0.5f / 8);
  EXPECT_FLOAT_EQ(a[517].first, 0.5f / 8);  // six per stride-16 cell
  EXPECT_FLOAT_EQ(a[518].first, 1.5f / 8);
  EXPECT_FLOAT_EQ(a[895].first, 7.5f / 8);
  EXPECT_FLOAT_EQ(a[895].second, 7.5f / 8);
}

TEST(BlazeFace, OneStrongStride8AnchorGivesAnExactBox) {
  TensorMap m = blank_outputs();
  // Anchor 107: stride 8, row 3, column 5 -> centre (0.34375, 0.21875).
  set_anchor(m, "out_b", "out_c", 107, 5.0f, 16, -8, 32, 48);
  const auto faces = decode_blazeface(m);
  ASSERT_EQ(faces.size(), 1u);
  const Box& f = faces[0];
  EXPECT_FLOAT_EQ(f.score, 1.0f / (1.0f + std::exp(-5.0f)));
  EXPECT_FLOAT_EQ(f.centre_x(), 0.46875f);  // 0.34375 + 16/128
  EXPECT_FLOAT_EQ(f.centre_y(), 0.15625f);  // 0.21875 - 8/128
  EXPECT_FLOAT_EQ(f.x0, 0.34375f);          // width 32/128 = 0.25
  EXPECT_FLOAT_EQ(f.x1, 0.59375f);
  EXPECT_FLOAT_EQ(f.y0, -0.03125f);  // height 48/128 = 0.375
  EXPECT_FLOAT_EQ(f.y1, 0.34375f);
  EXPECT_EQ(f.cls, 0);
  ASSERT_EQ(f.keypoints.size(), 6u);
  for (int k = 0; k < 6; ++k) {
    EXPECT_FLOAT_EQ(f.keypoints[size_t(k)].first, 0.34375f + float(k) / 16) << k;
    EXPECT_FLOAT_EQ(f.keypoints[size_t(k)].second, 0.21875f - float(k) / 16) << k;
  }
}

TEST(BlazeFace, OneStrongStride16AnchorGivesAnExactBox) {
  TensorMap m = blank_outputs();
  // Stride-16 anchor 142 (overall 654): row 2, column 7, anchor 4 -> (0.9375, 0.3125).
  set_anchor(m, "out_d", "out_a", 142, 3.0f, -16, 0, 16, 16);
  const auto faces = decode_blazeface(m);
  ASSERT_EQ(faces.size(), 1u);
  EXPECT_FLOAT_EQ(faces[0].x0, 0.75f);  // centre 0.8125, width 0.125
  EXPECT_FLOAT_EQ(faces[0].x1, 0.875f);
  EXPECT_FLOAT_EQ(faces[0].y0, 0.25f);
  EXPECT_FLOAT_EQ(faces[0].y1, 0.375f);
}

TEST(BlazeFace, NeighbouringAnchorsMergeByWeightedNms) {
  TensorMap m = blank_outputs();
  // Both anchors of one cell, raw scores 2 and 1, boxes 8 px apart in x.
  set_anchor(m, "out_b", "out_c", 40, 2.0f, 0, 0, 32, 32);
  set_anchor(m, "out_b", "out_c", 41, 1.0f, 8, 0, 32, 32);
  const auto faces = decode_blazeface(m);
  ASSERT_EQ(faces.size(), 1u);
  const float w2 = 1.0f / (1.0f + std::exp(-2.0f)), w1 = 1.0f / (1.0f + std::exp(-1.0f));
  // Cell 20 = row 1, column 4: anchor x 4.5 / 16; the second box is 8/128 right.
  const float shift = w1 / (w1 + w2) * 8.0f / 128;  // weighted mean of the two centres
  EXPECT_NEAR(faces[0].centre_x(), 4.5f / 16 + shift, 1e-6f);
  EXPECT_FLOAT_EQ(faces[0].score, w2);
}

TEST(BlazeFace, ThresholdIsAnOptionAndInclusive) {
  TensorMap m = blank_outputs();
  set_anchor(m, "out_b", "out_c", 0, 0.0f, 0, 0, 16, 16);  // sigmoid(0) = 0.5 exactly
  EXPECT_EQ(decode_blazeface(m).size(), 1u);               // default threshold 0.5
  BlazeFaceOptions o;
  o.score_threshold = 0.6f;
  EXPECT_TRUE(decode_blazeface(m, o).empty());
}

TEST(BlazeFace, ExtremeRawScoresStayFinite) {
  TensorMap m = blank_outputs(-std::numeric_limits<float>::infinity());
  m["out_d"].as<float>()[3] = std::numeric_limits<float>::quiet_NaN();  // dropped
  set_anchor(m, "out_b", "out_c", 9, 1e30f, 0, 0, 16, 16);
  const auto faces = decode_blazeface(m);
  ASSERT_EQ(faces.size(), 1u);
  EXPECT_FLOAT_EQ(faces[0].score, 1.0f);
}

TEST(BlazeFace, MissingOutputsAreNamedWithWhatWasThere) {
  TensorMap m = blank_outputs();
  m.erase("out_a");
  m.erase("out_d");
  try {
    decode_blazeface(m);
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("stride-16 scores [1x384x1]"), std::string::npos) << msg;
    EXPECT_NE(msg.find("stride-16 boxes [1x384x16]"), std::string::npos) << msg;
    EXPECT_EQ(msg.find("stride-8"), std::string::npos) << msg;
    EXPECT_NE(msg.find("out_c [1x512x16 float32]"), std::string::npos) << msg;
  }
}

TEST(BlazeFace, WrongDtypeIsNamed) {
  TensorMap m = blank_outputs();
  m["out_b"] = Tensor(DType::kInt8, {1, 512, 1});
  try {
    decode_blazeface(m);
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("stride-8 scores: expected float32"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace npusim::vision
