// BlazeFace front anchors, as MediaPipe's SsdAnchorsCalculator generates them
// for this model (strides 8, 16, 16, 16 with the stride-16 layers merged).
#include "npusim/vision/blazeface.hpp"

namespace npusim::vision {

namespace {

// Cells of one grid in (row, column, anchor) order, each anchor at its
// cell's centre.
void add_grid(std::vector<std::pair<float, float>>& out, int cells, int per_cell) {
  for (int row = 0; row < cells; ++row)
    for (int col = 0; col < cells; ++col)
      for (int a = 0; a < per_cell; ++a)
        out.emplace_back((float(col) + 0.5f) / float(cells), (float(row) + 0.5f) / float(cells));
}

}  // namespace

std::vector<std::pair<float, float>> blazeface_anchors() {
  std::vector<std::pair<float, float>> out;
  out.reserve(kBlazeFaceAnchors);
  add_grid(out, kBlazeFaceInput / 8, 2);   // 16x16 x 2 = 512
  add_grid(out, kBlazeFaceInput / 16, 6);  // 8x8 x 6 = 384
  return out;
}

}  // namespace npusim::vision
