// Finding YOLOv8's six head outputs by shape: exports name them as they like
// (box_p3 / cls_p3 here, "output0"... elsewhere), the shapes tell the roles.
#include <algorithm>
#include <map>
#include <stdexcept>

#include "npusim/vision/yolov8.hpp"
#include "tensor_checks.hpp"

namespace npusim::vision {

namespace {

using Grid = std::pair<int64_t, int64_t>;  // H, W
using Named = std::pair<const std::string*, const compiler::Tensor*>;

[[noreturn]] void fail(const std::string& why, const compiler::TensorMap& outputs) {
  throw std::runtime_error("YOLOv8 decode: " + why + " (outputs: " + detail::list_tensors(outputs) +
                           ")");
}

// The [1, C, H, W] outputs grouped by grid; other ranks are ignored.
std::map<Grid, std::vector<Named>> by_grid(const compiler::TensorMap& outputs) {
  std::map<Grid, std::vector<Named>> grids;
  for (const auto& [name, t] : outputs)
    if (t.shape().size() == 4 && t.shape()[0] == 1)
      grids[{t.shape()[2], t.shape()[3]}].emplace_back(&name, &t);
  return grids;
}

bool is_box_branch(const Named& n) {
  return n.second->shape()[1] == 4 * kYoloDflBins;
}

bool named_box(const Named& n) {
  return n.first->find("box") != std::string::npos;
}

// Index (0 or 1) of the box branch in a pair: the 64-channel tensor; with 64
// classes both qualify and the name has to tell ("box" in one of them). -1
// when it cannot be told.
int box_index(const std::vector<Named>& pair) {
  const bool a = is_box_branch(pair[0]), b = is_box_branch(pair[1]);
  if (a != b) return a ? 0 : 1;
  if (a && named_box(pair[0]) != named_box(pair[1])) return named_box(pair[0]) ? 0 : 1;
  return -1;
}

// Box and class branch of one grid.
YoloLevel split_pair(const std::vector<Named>& pair, const std::string& grid,
                     const compiler::TensorMap& outputs) {
  if (pair.size() != 2)
    fail("expected 2 outputs on the " + grid + " grid, found " + std::to_string(pair.size()),
         outputs);
  const int box = box_index(pair);
  if (box < 0)
    fail("cannot tell the box branch (64 channels) from the class branch on the " + grid + " grid",
         outputs);
  return {pair[size_t(box)].second, pair[size_t(1 - box)].second, 0};
}

}  // namespace

std::vector<YoloLevel> find_yolov8_outputs(const compiler::TensorMap& outputs) {
  const auto grids = by_grid(outputs);
  if (grids.size() != 3)
    fail("expected [1,C,H,W] outputs on 3 grids (strides 8, 16, 32), found " +
             std::to_string(grids.size()),
         outputs);
  std::vector<YoloLevel> levels;
  // Largest grid first: strides 8, 16, 32, each grid half the previous one.
  int stride = 8;
  Grid previous{0, 0};
  for (auto it = grids.rbegin(); it != grids.rend(); ++it, stride *= 2) {
    const auto [h, w] = it->first;
    const std::string grid = std::to_string(h) + "x" + std::to_string(w);
    if (previous.first && (previous.first != 2 * h || previous.second != 2 * w))
      fail("grid " + grid + " is not half of the grid before it", outputs);
    levels.push_back(split_pair(it->second, grid, outputs));
    levels.back().stride = stride;
    previous = it->first;
  }
  return levels;
}

}  // namespace npusim::vision
