// YOLOv8 Detect decode on the host (Ultralytics' Detect.forward after the
// head convolutions, then non_max_suppression with single-label boxes).
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "npusim/vision/yolov8.hpp"
#include "tensor_checks.hpp"

namespace npusim::vision {

namespace {

float sigmoid(float x) {
  return 1.0f / (1.0f + std::exp(-x));
}

// Expected value of a distribution over 16 bins given as logits `v[k * step]`
// (softmax, max-subtracted so large logits do not overflow): the distance of
// one box side from the anchor, in cells.
float dfl_distance(const float* v, size_t step) {
  float top = v[0];
  for (int k = 1; k < kYoloDflBins; ++k) top = std::max(top, v[size_t(k) * step]);
  float sum = 0, weighted = 0;
  for (int k = 0; k < kYoloDflBins; ++k) {
    const float e = std::exp(v[size_t(k) * step] - top);
    sum += e;
    weighted += float(k) * e;
  }
  return weighted / sum;
}

// Best class logit and its index per cell. Channel-major loops follow the
// NCHW layout, so each class plane is read once, in order.
void best_classes(std::span<const float> cls, size_t classes, size_t cells,
                  std::vector<float>& best, std::vector<int>& best_cls) {
  best.assign(cls.begin(), cls.begin() + std::ptrdiff_t(cells));
  best_cls.assign(cells, 0);
  for (size_t c = 1; c < classes; ++c)
    for (size_t i = 0; i < cells; ++i)
      if (cls[c * cells + i] > best[i]) {
        best[i] = cls[c * cells + i];
        best_cls[i] = int(c);
      }
}

// One level's checked data.
struct Level {
  std::span<const float> box, cls;
  int64_t classes = 0, h = 0, w = 0;
  int stride = 0;
};

Level checked(const YoloLevel& l) {
  if (!l.cls || !l.box) throw std::runtime_error("YOLOv8 decode: level tensor not given");
  if (l.stride <= 0) throw std::runtime_error("YOLOv8 decode: level stride must be positive");
  const compiler::Shape& cs = l.cls->shape();
  if (cs.size() != 4 || cs[0] != 1 || cs[1] < 1)
    throw std::runtime_error("YOLOv8 decode: class branch must be [1,C,H,W], got " +
                             compiler::shape_string(cs));
  Level out;
  out.classes = cs[1], out.h = cs[2], out.w = cs[3], out.stride = l.stride;
  out.cls = detail::float_data(l.cls, "YOLOv8 class branch", cs);
  out.box = detail::float_data(l.box, "YOLOv8 box branch", {1, 4 * kYoloDflBins, out.h, out.w});
  return out;
}

// The box of cell i: DFL distances (in cells) around the cell centre, scaled
// by the stride to input pixels, normalised by the input size.
Box cell_box(const Level& l, size_t i, float score, int cls) {
  const size_t cells = size_t(l.h * l.w);
  float d[4];  // l, t, r, b
  for (size_t s = 0; s < 4; ++s) d[s] = dfl_distance(&l.box[s * kYoloDflBins * cells + i], cells);
  const float ax = float(int64_t(i) % l.w) + 0.5f, ay = float(int64_t(i) / l.w) + 0.5f;
  const float st = float(l.stride), in_w = float(l.w) * st, in_h = float(l.h) * st;
  Box b;
  b.x0 = (ax - d[0]) * st / in_w;
  b.y0 = (ay - d[1]) * st / in_h;
  b.x1 = (ax + d[2]) * st / in_w;
  b.y1 = (ay + d[3]) * st / in_h;
  b.score = score;
  b.cls = cls;
  return b;
}

// Candidates of one level above the threshold. The DFL softmax (64
// exponentials) runs only for cells that pass, the cheap test first.
void decode_level(const YoloLevel& level, float threshold, std::vector<Box>& out) {
  const Level l = checked(level);
  const size_t cells = size_t(l.h * l.w);
  std::vector<float> best;
  std::vector<int> best_cls;
  best_classes(l.cls, size_t(l.classes), cells, best, best_cls);
  for (size_t i = 0; i < cells; ++i) {
    const float score = sigmoid(best[i]);
    if (score > threshold) out.push_back(cell_box(l, i, score, best_cls[i]));  // as Ultralytics
  }
}

}  // namespace

std::vector<Box> decode_yolov8(const std::vector<YoloLevel>& levels, const YoloOptions& options) {
  std::vector<Box> candidates;
  for (const YoloLevel& l : levels) decode_level(l, options.score_threshold, candidates);
  return class_aware_nms(std::move(candidates), options.iou_threshold, options.max_boxes);
}

std::vector<Box> decode_yolov8(const compiler::TensorMap& outputs, const YoloOptions& options) {
  return decode_yolov8(find_yolov8_outputs(outputs), options);
}

}  // namespace npusim::vision
