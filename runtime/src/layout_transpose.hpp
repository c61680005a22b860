// [C][P] <-> [P][C] layout changes of one image (P = H*W pixels), the
// NCHW <-> NHWC staging of 4-D tensors: byte elements (the quantised I/O of
// the NPU) run as 16x16 SSE2 block transposes or, for up to four channels,
// as interleaving loops the compiler vectorises; other element sizes as a
// tiled element loop.
#pragma once

#include <cstddef>
#include <cstdint>

namespace npusim::runtime {

// dst[p][c] = src[c][p] for `elem`-byte elements.
void planar_to_interleaved(const uint8_t* src, uint8_t* dst, int64_t c, int64_t p, size_t elem);
// dst[c][p] = src[p][c].
void interleaved_to_planar(const uint8_t* src, uint8_t* dst, int64_t c, int64_t p, size_t elem);

}  // namespace npusim::runtime
