#include "tensor_staging.hpp"

#include <algorithm>
#include <cstdint>

#include "npusim/runtime/errors.hpp"

namespace npusim::runtime {

namespace {

using compiler::Shape;
using compiler::Tensor;

bool device_is_nhwc(const isa::TensorInfo& t) {
  return t.layout == "NHWC" && t.shape.size() == 4;
}

// [C][P] <-> [P][C] for one image (P = H*W pixels) of T elements, in tiles
// of 16 channels x 64 pixels so that both sides stay in cache lines.
template <typename T>
void transpose_tile_loop(const T* src, T* dst, int64_t c, int64_t p, bool to_nhwc) {
  constexpr int64_t kTc = 16, kTp = 64;
  for (int64_t c0 = 0; c0 < c; c0 += kTc)
    for (int64_t p0 = 0; p0 < p; p0 += kTp) {
      const int64_t c1 = std::min(c, c0 + kTc), p1 = std::min(p, p0 + kTp);
      if (to_nhwc) {
        for (int64_t px = p0; px < p1; ++px)
          for (int64_t ch = c0; ch < c1; ++ch) dst[px * c + ch] = src[ch * p + px];
      } else {
        for (int64_t ch = c0; ch < c1; ++ch)
          for (int64_t px = p0; px < p1; ++px) dst[ch * p + px] = src[px * c + ch];
      }
    }
}

// The same as transpose_tile_loop for elements of any size, byte by byte.
void transpose_bytes(const uint8_t* src, uint8_t* dst, int64_t c, int64_t p, size_t elem,
                     bool to_nhwc) {
  for (int64_t ch = 0; ch < c; ++ch)
    for (int64_t px = 0; px < p; ++px) {
      const size_t nchw = size_t(ch * p + px) * elem, nhwc = size_t(px * c + ch) * elem;
      if (to_nhwc)
        std::copy_n(src + nchw, elem, dst + nhwc);
      else
        std::copy_n(src + nhwc, elem, dst + nchw);
    }
}

template <typename T>
void transpose_words(const uint8_t* src, uint8_t* dst, int64_t c, int64_t p, bool to_nhwc) {
  transpose_tile_loop(reinterpret_cast<const T*>(src), reinterpret_cast<T*>(dst), c, p, to_nhwc);
}

// Copies a [N,C,H,W] block of `elem`-byte elements to [N,H,W,C] (or back).
void transpose_nchw(const uint8_t* src, uint8_t* dst, const Shape& s, size_t elem, bool to_nhwc) {
  const int64_t n = s[0], c = s[1], p = s[2] * s[3];
  const auto image = static_cast<size_t>(c * p) * elem;
  for (int64_t b = 0; b < n; ++b) {
    const uint8_t* from = src + b * image;
    uint8_t* to = dst + b * image;
    // Elements move as integers when both sides are aligned for them.
    const bool aligned =
        (reinterpret_cast<uintptr_t>(from) | reinterpret_cast<uintptr_t>(to)) % elem == 0;
    if (aligned && elem == 1)
      transpose_words<uint8_t>(from, to, c, p, to_nhwc);
    else if (aligned && elem == 2)
      transpose_words<uint16_t>(from, to, c, p, to_nhwc);
    else if (aligned && elem == 4)
      transpose_words<uint32_t>(from, to, c, p, to_nhwc);
    else if (aligned && elem == 8)
      transpose_words<uint64_t>(from, to, c, p, to_nhwc);
    else
      transpose_bytes(from, to, c, p, elem, to_nhwc);
  }
}

}  // namespace

void stage_in(const Tensor& value, const isa::TensorInfo& t, std::vector<uint8_t>& area) {
  const compiler::DType want = compiler::dtype_from_name(t.dtype);
  if (value.dtype() != want || value.shape() != t.shape)
    throw RuntimeError(RuntimeErrorKind::kInvalidInput,
                       "tensor \"" + t.name + "\" for the NPU must be " + t.dtype + " " +
                           compiler::shape_string(t.shape) + ", got " +
                           std::string(compiler::dtype_name(value.dtype())) + " " +
                           compiler::shape_string(value.shape()));
  if (t.io_offset + value.bytes() > area.size())
    throw RuntimeError(RuntimeErrorKind::kModel,
                       "tensor \"" + t.name + "\" lies outside its segment's I/O area");
  uint8_t* dst = area.data() + t.io_offset;
  if (device_is_nhwc(t))
    transpose_nchw(value.raw().data(), dst, t.shape, compiler::dtype_size(want), true);
  else
    std::copy(value.raw().begin(), value.raw().end(), dst);
}

Tensor stage_out(const isa::TensorInfo& t, const std::vector<uint8_t>& area) {
  Tensor value(compiler::dtype_from_name(t.dtype), t.shape);
  if (t.io_offset + value.bytes() > area.size())
    throw RuntimeError(RuntimeErrorKind::kModel,
                       "tensor \"" + t.name + "\" lies outside its segment's I/O area");
  const uint8_t* src = area.data() + t.io_offset;
  if (device_is_nhwc(t))
    transpose_nchw(src, value.raw().data(), t.shape, compiler::dtype_size(value.dtype()), false);
  else
    std::copy(src, src + value.bytes(), value.raw().begin());
  return value;
}

}  // namespace npusim::runtime
