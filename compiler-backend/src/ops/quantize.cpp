// QuantizeLinear and DequantizeLinear, per tensor or per axis, through the
// device's own definitions (isa/int8.hpp) so both sides agree bit for bit.
#include "kernel.hpp"
#include "npusim/isa/int8.hpp"

namespace npusim::compiler::ops {
namespace {

// Scale and zero point of element i: one value, or one per index of `axis`.
struct QuantParams {
  std::vector<float> scale;
  std::vector<int32_t> zp;
  int64_t inner = 1, channels = 1;

  size_t channel(int64_t i) const {
    return scale.size() == 1 ? 0 : static_cast<size_t>((i / inner) % channels);
  }
};

QuantParams quant_params(const OpContext& ctx, const Tensor& x) {
  QuantParams q;
  q.scale = read_floats(ctx.in(1), "scale");
  if (q.scale.size() != 1) {
    const auto rank = static_cast<int64_t>(x.shape().size());
    const int64_t axis = normalize_axis(ctx.i("axis", 1), rank);
    q.channels = x.shape()[axis];
    q.inner = product(x.shape(), static_cast<size_t>(axis) + 1, x.shape().size());
    if (static_cast<int64_t>(q.scale.size()) != q.channels || ctx.in(1).shape().size() != 1)
      fail("scale has shape " + shape_string(ctx.in(1).shape()) + ", expected one value or " +
           std::to_string(q.channels) + " (axis " + std::to_string(axis) + ")");
  }
  const auto n = static_cast<int64_t>(q.scale.size());
  if (ctx.has(2) && ctx.in(2).dtype() == DType::kInt32) {  // DequantizeLinear of int32
    for (int64_t i = 0; i < n; ++i)
      q.zp.push_back(ctx.in(2).as<int32_t>()[ctx.in(2).size() == 1 ? 0 : i]);
    for (int32_t z : q.zp)
      if (z != 0) fail("int32 data needs a zero point of 0");
  } else {
    q.zp = zero_points(ctx, 2, n, "zero_point");
  }
  return q;
}

std::vector<Tensor> quantize(const OpContext& ctx) {
  const Tensor& x = ctx.in(0);
  require_dtype(x, {DType::kFloat32, DType::kInt32}, "input x");
  const QuantParams q = quant_params(ctx, x);
  const DType out_type = ctx.has(2) ? ctx.in(2).dtype() : DType::kUint8;
  const bool is_signed = out_type == DType::kInt8;
  Tensor y(out_type, x.shape());
  for (int64_t i = 0; i < x.size(); ++i) {
    const size_t c = q.channel(i);
    const auto v = static_cast<float>(x.at(i));
    const int32_t r = isa::quantize_linear(v, q.scale[c], q.zp[c], is_signed);
    if (is_signed)
      y.as<int8_t>()[i] = static_cast<int8_t>(r);
    else
      y.as<uint8_t>()[i] = static_cast<uint8_t>(r);
  }
  return {std::move(y)};
}

std::vector<Tensor> dequantize(const OpContext& ctx) {
  const Tensor& x = ctx.in(0);
  require_dtype(x, {DType::kInt8, DType::kUint8, DType::kInt32}, "input x");
  if (ctx.has(2) && ctx.in(2).dtype() != x.dtype())
    fail("zero point has dtype " + std::string(dtype_name(ctx.in(2).dtype())) + ", x has " +
         std::string(dtype_name(x.dtype())));
  const QuantParams q = quant_params(ctx, x);
  Tensor y(DType::kFloat32, x.shape());
  auto out = y.as<float>();
  for (int64_t i = 0; i < x.size(); ++i) {
    const size_t c = q.channel(i);
    out[i] = isa::dequantize_linear(static_cast<int32_t>(x.int_at(i)), q.scale[c], q.zp[c]);
  }
  return {std::move(y)};
}

}  // namespace

void register_quantize_ops(Registry& r) {
  r["QuantizeLinear"] = quantize;
  r["DequantizeLinear"] = dequantize;
}

}  // namespace npusim::compiler::ops
