// Score ordering shared by the NMS variants.
#pragma once

#include <algorithm>
#include <vector>

#include "npusim/vision/detection.hpp"

namespace npusim::vision::detail {

// Highest score first; stable so equal scores keep their input order and the
// same inputs always give the same detections.
inline void sort_by_score(std::vector<Box>& boxes) {
  std::stable_sort(boxes.begin(), boxes.end(),
                   [](const Box& a, const Box& b) { return a.score > b.score; });
}

}  // namespace npusim::vision::detail
