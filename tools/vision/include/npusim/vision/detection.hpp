// Detections and non-maximum suppression, shared by every detector decode.
// Coordinates are normalised to the image (0..1, x to the right, y down), so
// the same box can be drawn on the original photo whatever the model's input
// size (inputs are stretched to the model's size, not letterboxed).
#pragma once

#include <cstddef>
#include <limits>
#include <utility>
#include <vector>

namespace npusim::vision {

struct Box {
  float x0 = 0, y0 = 0, x1 = 0, y1 = 0;            // corners, normalised image coordinates
  float score = 0;                                 // 0..1
  int cls = 0;                                     // class index (0 for single-class detectors)
  std::vector<std::pair<float, float>> keypoints;  // (x, y), normalised like the corners

  float width() const { return x1 - x0; }
  float height() const { return y1 - y0; }
  float centre_x() const { return 0.5f * (x0 + x1); }
  float centre_y() const { return 0.5f * (y0 + y1); }
};

inline constexpr size_t kNoLimit = std::numeric_limits<size_t>::max();

// Intersection over union; 0 when the union is empty (degenerate boxes).
float iou(const Box& a, const Box& b);

// Hard NMS: boxes by decreasing score (ties keep their input order, so the
// result is deterministic); a box is dropped when its IoU with a kept box is
// above `iou_threshold` (strictly, as torchvision and MediaPipe do). At most
// `max_out` boxes are returned, highest scores first.
std::vector<Box> nms(std::vector<Box> boxes, float iou_threshold, size_t max_out = kNoLimit);

// Like nms(), but boxes only suppress boxes of their own class (YOLO's
// per-class NMS); the result is still sorted by score across classes.
std::vector<Box> class_aware_nms(std::vector<Box> boxes, float iou_threshold,
                                 size_t max_out = kNoLimit);

// MediaPipe's weighted NMS: the best remaining box and every box overlapping
// it by more than `iou_threshold` (any class) are merged into one, whose
// corners and key points are the score-weighted mean of the group and whose
// score and class are the best box's. Averaging several anchors' regressions
// steadies the box from frame to frame, which is why MediaPipe prefers it for
// faces.
std::vector<Box> weighted_nms(std::vector<Box> boxes, float iou_threshold,
                              size_t max_out = kNoLimit);

}  // namespace npusim::vision
