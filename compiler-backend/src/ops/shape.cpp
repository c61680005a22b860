// Shape manipulation and constants: Reshape, Flatten, Squeeze, Unsqueeze,
// Shape, Size, ConstantOfShape, Constant, Identity, Dropout, Cast, Range.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <set>

#include "kernel.hpp"

namespace npusim::compiler::ops {
namespace {

Tensor reshaped(const Tensor& x, Shape s) {
  Tensor y = x;
  y.reshape(std::move(s));
  return y;
}

std::vector<Tensor> reshape(const OpContext& ctx) {
  const Tensor& x = ctx.in(0);
  std::vector<int64_t> shape = read_ints(ctx.in(1), "shape");
  const bool allow_zero = ctx.i("allowzero", 0) != 0;
  int64_t infer = -1, known = 1;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 0 && !allow_zero) {
      if (d >= x.shape().size())
        fail("shape has 0 at axis " + std::to_string(d) + " beyond the input rank");
      shape[d] = x.shape()[d];
    }
    if (shape[d] == -1) {
      if (infer >= 0) fail("shape has more than one -1");
      infer = static_cast<int64_t>(d);
      continue;
    }
    if (shape[d] < 0) fail("shape has a negative dim " + std::to_string(shape[d]));
    known *= shape[d];
  }
  if (infer >= 0) {
    if (known == 0 || x.size() % known)
      fail("cannot infer the -1 dim reshaping " + shape_string(x.shape()));
    shape[infer] = x.size() / known;
  }
  if (element_count(shape) != x.size())
    fail("cannot reshape " + shape_string(x.shape()) + " (" + std::to_string(x.size()) +
         " elements) to " + shape_string(shape));
  return {reshaped(x, shape)};
}

std::vector<Tensor> flatten(const OpContext& ctx) {
  const Tensor& x = ctx.in(0);
  const auto rank = static_cast<int64_t>(x.shape().size());
  int64_t axis = ctx.i("axis", 1);
  if (axis < -rank || axis > rank) fail("axis " + std::to_string(axis) + " is out of range");
  if (axis < 0) axis += rank;
  const int64_t outer = product(x.shape(), 0, static_cast<size_t>(axis));
  return {reshaped(x, {outer, outer ? x.size() / outer : product(x.shape(), axis, rank)})};
}

// Axes of Squeeze/Unsqueeze: attribute before opset 13, input after.
std::vector<int64_t> axes_of(const OpContext& ctx) {
  if (ctx.opset() < 13) return ctx.ints("axes");
  return ctx.has(1) ? read_ints(ctx.in(1), "axes") : std::vector<int64_t>{};
}

std::vector<Tensor> squeeze(const OpContext& ctx) {
  const Tensor& x = ctx.in(0);
  const auto rank = static_cast<int64_t>(x.shape().size());
  std::set<int64_t> drop;
  for (int64_t a : axes_of(ctx)) {
    const int64_t d = normalize_axis(a, rank);
    if (x.shape()[d] != 1)
      fail("cannot squeeze axis " + std::to_string(d) + " of size " + std::to_string(x.shape()[d]));
    drop.insert(d);
  }
  const bool all = ctx.opset() < 13 ? !ctx.node().has("axes") : !ctx.has(1);
  Shape out;
  for (int64_t d = 0; d < rank; ++d)
    if (!(all ? x.shape()[d] == 1 : drop.count(d) > 0)) out.push_back(x.shape()[d]);
  return {reshaped(x, out)};
}

std::vector<Tensor> unsqueeze(const OpContext& ctx) {
  const Tensor& x = ctx.in(0);
  const std::vector<int64_t> axes = axes_of(ctx);
  const auto rank = static_cast<int64_t>(x.shape().size() + axes.size());
  std::set<int64_t> add;
  for (int64_t a : axes)
    if (!add.insert(normalize_axis(a, rank)).second) fail("axes has a duplicate");
  Shape out;
  auto it = x.shape().begin();
  for (int64_t d = 0; d < rank; ++d) out.push_back(add.count(d) ? 1 : *it++);
  return {reshaped(x, out)};
}

std::vector<Tensor> shape_op(const OpContext& ctx) {
  const Shape& s = ctx.in(0).shape();
  const auto rank = static_cast<int64_t>(s.size());
  auto clamp_axis = [rank](int64_t a) {
    return std::clamp<int64_t>(a < 0 ? a + rank : a, 0, rank);
  };
  const int64_t start = clamp_axis(ctx.i("start", 0)), end = clamp_axis(ctx.i("end", rank));
  std::vector<int64_t> dims;
  for (int64_t d = start; d < end; ++d) dims.push_back(s[d]);
  const auto n = static_cast<int64_t>(dims.size());
  return {Tensor::from(DType::kInt64, {n}, dims)};
}

std::vector<Tensor> size_op(const OpContext& ctx) {
  return {Tensor::from(DType::kInt64, {}, std::vector<int64_t>{ctx.in(0).size()})};
}

std::vector<Tensor> constant_of_shape(const OpContext& ctx) {
  const std::vector<int64_t> shape = read_ints(ctx.in(0), "input shape");
  Tensor value = Tensor::from(DType::kFloat32, {1}, std::vector<float>{0.f});
  if (const Tensor* v = ctx.tensor("value")) {
    if (v->size() != 1) fail("attribute 'value' must have one element");
    value = *v;
  }
  Tensor y(value.dtype(), shape);
  const size_t es = dtype_size(value.dtype());
  for (int64_t i = 0; i < y.size(); ++i)
    std::memcpy(y.raw().data() + i * es, value.raw().data(), es);
  return {std::move(y)};
}

std::vector<Tensor> constant(const OpContext& ctx) {
  const Node& n = ctx.node();
  if (const Tensor* v = ctx.tensor("value")) return {*v};
  if (n.has("value_float"))
    return {Tensor::from(DType::kFloat32, {}, std::vector<float>{ctx.f("value_float", 0)})};
  if (n.has("value_floats")) {
    const std::vector<float> v = ctx.floats("value_floats");
    return {Tensor::from(DType::kFloat32, {static_cast<int64_t>(v.size())}, v)};
  }
  if (n.has("value_int"))
    return {Tensor::from(DType::kInt64, {}, std::vector<int64_t>{ctx.i("value_int", 0)})};
  if (n.has("value_ints")) {
    const std::vector<int64_t> v = ctx.ints("value_ints");
    return {Tensor::from(DType::kInt64, {static_cast<int64_t>(v.size())}, v)};
  }
  fail("has no supported value attribute (value, value_float(s), value_int(s))");
}

std::vector<Tensor> identity(const OpContext& ctx) {
  return {ctx.in(0)};
}

// Dropout at inference is the identity; the mask is all ones. Training mode
// is deterministic only with ratio 0.
std::vector<Tensor> dropout(const OpContext& ctx) {
  const Tensor& x = ctx.in(0);
  if (ctx.opset() >= 12 && ctx.has(2) && read_scalar(ctx.in(2), "training_mode") != 0) {
    const double ratio = ctx.has(1) ? read_scalar(ctx.in(1), "ratio") : 0.5;
    if (ratio != 0) fail("training_mode with ratio > 0 drops at random; not supported");
  }
  std::vector<Tensor> out = {x};
  if (ctx.output_count() > 1) {
    Tensor mask(ctx.opset() < 10 ? x.dtype() : DType::kBool, x.shape());
    if (mask.dtype() == DType::kBool)
      std::fill(mask.raw().begin(), mask.raw().end(), uint8_t{1});
    else
      visit_numeric(mask.dtype(), "mask", [&]<typename T>(Tag<T>) {
        for (T& v : mask.as<T>()) v = T(1);
      });
    out.push_back(std::move(mask));
  }
  return out;
}

DType cast_target(int64_t onnx_type) {
  switch (onnx_type) {
    case 1:
      return DType::kFloat32;
    case 2:
      return DType::kUint8;
    case 3:
      return DType::kInt8;
    case 6:
      return DType::kInt32;
    case 7:
      return DType::kInt64;
    case 9:
      return DType::kBool;
    default:
      fail("Cast to ONNX type " + std::to_string(onnx_type) +
           " is not supported (float32, uint8, int8, int32, int64, bool)");
  }
}

// Float to integer truncates toward zero; out-of-range values saturate to
// int64 then wrap to the target width (defined behaviour, close to numpy's).
template <typename T>
T from_double(double v) {
  if constexpr (std::is_floating_point_v<T>) {
    return static_cast<T>(v);
  } else {
    if (std::isnan(v)) return T(0);
    const double t = std::trunc(v);
    int64_t i = 0;
    if (t >= 9223372036854775807.0)
      i = std::numeric_limits<int64_t>::max();
    else if (t <= -9223372036854775808.0)
      i = std::numeric_limits<int64_t>::min();
    else
      i = static_cast<int64_t>(t);
    return static_cast<T>(i);
  }
}

std::vector<Tensor> cast(const OpContext& ctx) {
  const Tensor& x = ctx.in(0);
  const DType to = cast_target(ctx.i("to", 0));
  Tensor y(to, x.shape());
  if (to == DType::kBool) {
    for (int64_t i = 0; i < x.size(); ++i) y.as<uint8_t>()[i] = x.at(i) != 0 ? 1 : 0;
    return {std::move(y)};
  }
  visit_numeric(to, "Cast target", [&]<typename T>(Tag<T>) {
    auto out = y.as<T>();
    if (x.dtype() == DType::kInt64) {  // exact: no detour through double
      for (int64_t i = 0; i < x.size(); ++i) out[i] = static_cast<T>(x.as<int64_t>()[i]);
      return;
    }
    for (int64_t i = 0; i < x.size(); ++i) out[i] = from_double<T>(x.at(i));
  });
  return {std::move(y)};
}

std::vector<Tensor> range(const OpContext& ctx) {
  const Tensor &s = ctx.in(0), &l = ctx.in(1), &d = ctx.in(2);
  if (s.dtype() != l.dtype() || s.dtype() != d.dtype()) fail("start, limit, delta differ in dtype");
  return {visit_numeric(s.dtype(), "start", [&]<typename T>(Tag<T>) {
    const T start = s.as<T>()[0], limit = l.as<T>()[0], delta = d.as<T>()[0];
    if (delta == T(0)) fail("delta is 0");
    const double n = std::ceil((double(limit) - double(start)) / double(delta));
    const auto count = static_cast<int64_t>(std::max(n, 0.0));
    Tensor y(s.dtype(), {count});
    auto out = y.as<T>();
    for (int64_t i = 0; i < count; ++i) out[i] = static_cast<T>(start + static_cast<T>(i) * delta);
    return y;
  })};
}

}  // namespace

void register_shape_ops(Registry& r) {
  r["Reshape"] = reshape;
  r["Flatten"] = flatten;
  r["Squeeze"] = squeeze;
  r["Unsqueeze"] = unsqueeze;
  r["Shape"] = shape_op;
  r["Size"] = size_op;
  r["ConstantOfShape"] = constant_of_shape;
  r["Constant"] = constant;
  r["Identity"] = identity;
  r["Dropout"] = dropout;
  r["Cast"] = cast;
  r["Range"] = range;
}

}  // namespace npusim::compiler::ops
