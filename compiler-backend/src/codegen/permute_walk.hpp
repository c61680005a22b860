// Internal: QPermute's data movement as a walk over the input's device bytes.
// y = reshape(transpose(x, perm), out) reads x in an order that, in device
// layout (NHWC for rank 4, row-major otherwise), is a few nested strided
// loops; the output is written in their row-major order.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "npusim/compiler/tensor.hpp"

namespace npusim::compiler::codegen {

// `count` steps of `stride` bytes in the input.
struct GatherDim {
  int64_t count = 1, stride = 1;
};

// A slice of x taken first (QPermute's starts/steps/counts; positive steps).
struct SliceView {
  std::vector<int64_t> starts, steps, counts;  // per input axis; empty: all of x
};

struct PermuteWalk {
  std::vector<GatherDim> dims;  // outermost first
  int64_t base = 0;             // byte offset of the first element read
};

// The walk, with neighbours that form one longer run merged; nothing (with
// `why`) when the reshape splits and merges axes in a way no common
// factorisation describes.
std::optional<PermuteWalk> permute_walk(const Shape& in, const SliceView& slice,
                                        const std::vector<int64_t>& perm, const Shape& out,
                                        std::string& why);

}  // namespace npusim::compiler::codegen
