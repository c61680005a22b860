// A data rearrangement in SRAM as vec.copy instructions, shared by the code
// generators that move bytes without arithmetic (Transpose, DepthToSpace).
#pragma once

#include <cstdint>
#include <vector>

#include "streams.hpp"

namespace npusim::compiler::codegen {

// One strided-copy dimension: count, source and destination strides (bytes).
struct CopyDim {
  int64_t count, src, dst;
};

// vec.copy of `dims` (outermost first, at most kMaxCount each) from `src` to
// `dst` on `slot`'s compute engine; dimensions beyond the innermost three are
// loops of instructions, and fewer than three are padded outside with 1s.
void emit_strided_copy(Streams& s, int slot, uint64_t src, uint64_t dst, std::vector<CopyDim> dims);

}  // namespace npusim::compiler::codegen
