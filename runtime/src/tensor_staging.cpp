#include "tensor_staging.hpp"

#include <algorithm>

#include "npusim/runtime/errors.hpp"

namespace npusim::runtime {

namespace {

using compiler::Shape;
using compiler::Tensor;

bool device_is_nhwc(const isa::TensorInfo& t) {
  return t.layout == "NHWC" && t.shape.size() == 4;
}

// Copies a [N,C,H,W] block of `elem`-byte elements to [N,H,W,C] (or back).
void transpose_nchw(const uint8_t* src, uint8_t* dst, const Shape& s, size_t elem, bool to_nhwc) {
  const int64_t n = s[0], c = s[1], h = s[2], w = s[3];
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x) {
          const size_t nchw = size_t(((b * c + ch) * h + y) * w + x) * elem;
          const size_t nhwc = size_t(((b * h + y) * w + x) * c + ch) * elem;
          if (to_nhwc)
            std::copy_n(src + nchw, elem, dst + nhwc);
          else
            std::copy_n(src + nhwc, elem, dst + nchw);
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
