#include "tensor_staging.hpp"

#include <algorithm>

#include "layout_transpose.hpp"
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
  const int64_t n = s[0], c = s[1], p = s[2] * s[3];
  const auto image = static_cast<size_t>(c * p) * elem;
  for (int64_t b = 0; b < n; ++b) {
    if (to_nhwc)
      planar_to_interleaved(src + b * image, dst + b * image, c, p, elem);
    else
      interleaved_to_planar(src + b * image, dst + b * image, c, p, elem);
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
