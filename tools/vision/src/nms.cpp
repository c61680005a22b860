// Hard (greedy) non-maximum suppression, class-agnostic and per class.
#include "npusim/vision/detection.hpp"
#include "score_order.hpp"

namespace npusim::vision {

namespace {

// Greedy NMS: keeps a box unless a kept box that it competes with overlaps it
// too much. O(kept x candidates), fine for the few hundred boxes left after
// the score threshold.
template <typename Competes>
std::vector<Box> greedy_nms(std::vector<Box> boxes, float iou_threshold, size_t max_out,
                            Competes competes) {
  detail::sort_by_score(boxes);
  std::vector<Box> kept;
  for (Box& b : boxes) {
    if (kept.size() >= max_out) break;
    bool suppressed = false;
    for (const Box& k : kept)
      if (competes(k, b) && iou(k, b) > iou_threshold) {
        suppressed = true;
        break;
      }
    if (!suppressed) kept.push_back(std::move(b));
  }
  return kept;
}

}  // namespace

std::vector<Box> nms(std::vector<Box> boxes, float iou_threshold, size_t max_out) {
  return greedy_nms(std::move(boxes), iou_threshold, max_out,
                    [](const Box&, const Box&) { return true; });
}

std::vector<Box> class_aware_nms(std::vector<Box> boxes, float iou_threshold, size_t max_out) {
  return greedy_nms(std::move(boxes), iou_threshold, max_out,
                    [](const Box& a, const Box& b) { return a.cls == b.cls; });
}

}  // namespace npusim::vision
