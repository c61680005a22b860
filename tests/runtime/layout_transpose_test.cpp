// NCHW <-> NHWC staging transposes (runtime/src/layout_transpose.*) against
// the element-by-element definition: channel counts on both sides of the
// few-channel loops and of the 16x16 blocks, ragged edges, wider elements.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "../../runtime/src/layout_transpose.hpp"

namespace npusim::runtime {
namespace {

TEST(LayoutTranspose, EveryShapeMatchesTheDefinition) {
  std::mt19937 rng(8);
  for (size_t elem : {1, 2, 4})
    for (int64_t c : {1, 2, 3, 4, 5, 15, 16, 17, 33, 64, 80})
      for (int64_t p : {1, 7, 16, 31, 48, 400}) {
        SCOPED_TRACE(testing::Message() << "c=" << c << " p=" << p << " elem=" << elem);
        const size_t bytes = size_t(c * p) * elem;
        std::vector<uint8_t> planar(bytes), inter(bytes, 0xEE), back(bytes, 0xEE);
        for (auto& v : planar) v = static_cast<uint8_t>(rng());
        planar_to_interleaved(planar.data(), inter.data(), c, p, elem);
        for (int64_t ch = 0; ch < c; ++ch)
          for (int64_t px = 0; px < p; ++px)
            ASSERT_EQ(
                std::memcmp(&inter[(px * c + ch) * elem], &planar[(ch * p + px) * elem], elem), 0)
                << "channel " << ch << " pixel " << px;
        interleaved_to_planar(inter.data(), back.data(), c, p, elem);
        ASSERT_EQ(back, planar);
      }
}

}  // namespace
}  // namespace npusim::runtime
