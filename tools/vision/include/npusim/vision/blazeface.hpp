// Decode of MediaPipe's BlazeFace front model (128x128 input, 896 anchors),
// as documented in docs/vision.md: raw scores and box regressions per anchor
// -> faces with 6 key points (right eye, left eye, nose, mouth, right ear,
// left ear, as seen by MediaPipe), in normalised image coordinates.
#pragma once

#include <utility>
#include <vector>

#include "npusim/compiler/tensor.hpp"
#include "npusim/vision/detection.hpp"

namespace npusim::vision {

struct BlazeFaceOptions {
  float score_threshold = 0.5f;  // after the sigmoid
  float iou_threshold = 0.3f;    // weighted NMS (MediaPipe's value)
  size_t max_faces = kNoLimit;
};

// The model's four outputs. Scores [1,512,1] and [1,384,1]; regressions
// [1,512,16] and [1,384,16]: (x, y, w, h, then 6 key points x (x, y)) in
// input pixels, relative to the anchor centre. float32.
struct BlazeFaceOutputs {
  const compiler::Tensor* scores8 = nullptr;   // stride 8: 16x16 cells x 2 anchors
  const compiler::Tensor* scores16 = nullptr;  // stride 16: 8x8 cells x 6 anchors
  const compiler::Tensor* boxes8 = nullptr;
  const compiler::Tensor* boxes16 = nullptr;
};

inline constexpr int kBlazeFaceInput = 128;    // input side in pixels
inline constexpr int kBlazeFaceAnchors = 896;  // 512 + 384
inline constexpr int kBlazeFaceKeypoints = 6;

// Anchor centres (x, y), normalised, in the models' output order: stride 8
// first (row, column, anchor), then stride 16. Every anchor of a cell shares
// its centre; the fixed anchor size 1 is why w and h need no anchor scale.
std::vector<std::pair<float, float>> blazeface_anchors();

// Picks the four outputs by shape (their names vary between exports, e.g.
// "classificators_1" or "Identity:0"). Throws std::runtime_error naming every
// missing shape and listing the tensors that were there.
BlazeFaceOutputs find_blazeface_outputs(const compiler::TensorMap& outputs);

// Sigmoid scores (raw clamped to [-100, 100] as MediaPipe does), threshold,
// box and key point decode, weighted NMS. Faces sorted by score. Throws
// std::runtime_error naming a tensor of the wrong dtype or shape.
std::vector<Box> decode_blazeface(const BlazeFaceOutputs& outputs,
                                  const BlazeFaceOptions& options = {});
std::vector<Box> decode_blazeface(const compiler::TensorMap& outputs,
                                  const BlazeFaceOptions& options = {});

}  // namespace npusim::vision
