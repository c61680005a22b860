// Internal to the quantiser: where the channels of an image-like input are.
#pragma once

#include <string>

#include "npusim/compiler/graph.hpp"

namespace npusim::compiler::quant {

struct ImageLayout {
  bool nhwc = false;
  int64_t c = 0, h = 0, w = 0;
  int64_t index(int64_t ch, int64_t y, int64_t x) const {
    return nhwc ? (y * w + x) * c + ch : (ch * h + y) * w + x;
  }
};

// The layout of a [1, C, H, W] / [1, H, W, C] input: `layout` ("NCHW",
// "NHWC", any case) or, when empty, the side with 1, 3 or 4 channels
// (NCHW when both or neither look like channels). Errors name `what`.
ImageLayout image_layout(const Shape& shape, const std::string& layout, const std::string& what);

}  // namespace npusim::compiler::quant
