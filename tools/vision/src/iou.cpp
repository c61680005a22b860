// Intersection over union of two axis-aligned boxes.
#include <algorithm>

#include "npusim/vision/detection.hpp"

namespace npusim::vision {

namespace {
float area(const Box& b) {
  return std::max(0.0f, b.width()) * std::max(0.0f, b.height());
}
}  // namespace

float iou(const Box& a, const Box& b) {
  const float iw = std::min(a.x1, b.x1) - std::max(a.x0, b.x0);
  const float ih = std::min(a.y1, b.y1) - std::max(a.y0, b.y0);
  const float inter = std::max(0.0f, iw) * std::max(0.0f, ih);
  const float uni = area(a) + area(b) - inter;
  // Degenerate boxes (zero area) overlap nothing rather than dividing by 0.
  return uni > 0.0f ? inter / uni : 0.0f;
}

}  // namespace npusim::vision
