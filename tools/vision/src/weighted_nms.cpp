// MediaPipe's weighted NMS (WeightedNonMaxSuppression in its
// non_max_suppression_calculator): overlapping boxes are merged, not dropped.
#include "npusim/vision/detection.hpp"
#include "score_order.hpp"

namespace npusim::vision {

namespace {

// Score-weighted mean of the corners and key points of `group` (non-empty,
// best box first). Score and class stay the best box's, as in MediaPipe.
Box weighted_mean(const std::vector<const Box*>& group) {
  Box out = *group.front();
  float total = 0, x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  std::vector<std::pair<float, float>> kps(out.keypoints.size(), {0.0f, 0.0f});
  for (const Box* b : group) {
    const float w = b->score;
    total += w;
    x0 += w * b->x0, y0 += w * b->y0, x1 += w * b->x1, y1 += w * b->y1;
    for (size_t k = 0; k < kps.size() && k < b->keypoints.size(); ++k) {
      kps[k].first += w * b->keypoints[k].first;
      kps[k].second += w * b->keypoints[k].second;
    }
  }
  if (total <= 0.0f) return out;  // all-zero scores: nothing to weight by
  out.x0 = x0 / total, out.y0 = y0 / total, out.x1 = x1 / total, out.y1 = y1 / total;
  for (auto& [x, y] : kps) x /= total, y /= total;
  out.keypoints = std::move(kps);
  return out;
}

}  // namespace

std::vector<Box> weighted_nms(std::vector<Box> boxes, float iou_threshold, size_t max_out) {
  detail::sort_by_score(boxes);
  std::vector<Box> out;
  std::vector<bool> used(boxes.size(), false);
  for (size_t i = 0; i < boxes.size() && out.size() < max_out; ++i) {
    if (used[i]) continue;
    // The best remaining box always belongs to its own group (IoU 1 with itself).
    std::vector<const Box*> group = {&boxes[i]};
    used[i] = true;
    for (size_t j = i + 1; j < boxes.size(); ++j)
      if (!used[j] && iou(boxes[i], boxes[j]) > iou_threshold) {
        group.push_back(&boxes[j]);
        used[j] = true;
      }
    out.push_back(weighted_mean(group));
  }
  return out;
}

}  // namespace npusim::vision
