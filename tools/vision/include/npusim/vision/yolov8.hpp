// Host-side decode of YOLOv8 cut before its Detect decode (as the Warboy
// tutorial does, models/build_yolov8n.py): per level (stride 8, 16, 32) a box
// branch [1, 64, H, W] (4 sides l, t, r, b x 16 DFL bins) and a class branch
// [1, classes, H, W] of raw logits -> boxes in normalised image coordinates.
#pragma once

#include <string>
#include <vector>

#include "npusim/compiler/tensor.hpp"
#include "npusim/vision/detection.hpp"

namespace npusim::vision {

struct YoloOptions {
  float score_threshold = 0.25f;  // Ultralytics' default confidence
  float iou_threshold = 0.45f;    // class-aware NMS
  size_t max_boxes = 300;         // Ultralytics' max_det
};

inline constexpr int kYoloDflBins = 16;  // reg_max

// One detection level: float32 NCHW tensors of the same H x W.
struct YoloLevel {
  const compiler::Tensor* box = nullptr;  // [1, 4 * 16, H, W]
  const compiler::Tensor* cls = nullptr;  // [1, classes, H, W]
  int stride = 0;                         // input pixels per cell
};

// The three levels picked from a model's outputs by shape: tensors grouped by
// H x W, the 64-channel one of each pair is the box branch (if both have 64
// channels, the one whose name contains "box"), strides 8, 16, 32 from the
// largest grid down. Throws std::runtime_error naming what is missing or
// ambiguous and listing the tensors that were there.
std::vector<YoloLevel> find_yolov8_outputs(const compiler::TensorMap& outputs);

// Per cell: the best class (sigmoid of its logit) against the threshold,
// then the DFL expectation of each side (softmax over 16 bins), the box
// (centre - l, centre - t, centre + r, centre + b) x stride, normalised by
// the input size (grid x stride); one box per cell, as Ultralytics'
// single-label NMS; then class-aware NMS. Boxes are not clipped to the image.
std::vector<Box> decode_yolov8(const std::vector<YoloLevel>& levels,
                               const YoloOptions& options = {});
std::vector<Box> decode_yolov8(const compiler::TensorMap& outputs, const YoloOptions& options = {});

}  // namespace npusim::vision
