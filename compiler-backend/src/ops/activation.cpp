// Activations: Relu, LeakyRelu, PRelu, Clip, Sigmoid, HardSigmoid,
// HardSwish, Tanh, Elu, Softplus, Softmax and LogSoftmax.
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "kernel.hpp"

namespace npusim::compiler::ops {
namespace {

// y[i] = f(x[i]) over a float tensor; f may capture attributes.
template <typename F>
Tensor map_float(const Tensor& x, F f) {
  require_dtype(x, {DType::kFloat32}, "input X");
  Tensor y(DType::kFloat32, x.shape());
  auto in = x.as<float>();
  auto out = y.as<float>();
  for (int64_t i = 0; i < x.size(); ++i) out[i] = f(in[i]);
  return y;
}

std::vector<Tensor> relu(const OpContext& ctx) {
  const Tensor& x = ctx.in(0);
  return {visit_numeric(x.dtype(), "input X", [&]<typename T>(Tag<T>) {
    Tensor y(x.dtype(), x.shape());
    auto in = x.as<T>();
    auto out = y.as<T>();
    for (int64_t i = 0; i < x.size(); ++i) out[i] = in[i] < T(0) ? T(0) : in[i];
    return y;
  })};
}

std::vector<Tensor> leaky_relu(const OpContext& ctx) {
  const float alpha = ctx.f("alpha", 0.01f);
  return {map_float(ctx.in(0), [alpha](float v) { return v < 0.f ? v * alpha : v; })};
}

std::vector<Tensor> sigmoid(const OpContext& ctx) {
  return {map_float(ctx.in(0), [](float v) { return 1.f / (1.f + std::exp(-v)); })};
}

std::vector<Tensor> hard_sigmoid(const OpContext& ctx) {
  const float alpha = ctx.f("alpha", 0.2f), beta = ctx.f("beta", 0.5f);
  return {map_float(ctx.in(0), [alpha, beta](float v) {
    return std::max(0.f, std::min(1.f, alpha * v + beta));
  })};
}

std::vector<Tensor> hard_swish(const OpContext& ctx) {
  return {map_float(
      ctx.in(0), [](float v) { return v * std::max(0.f, std::min(1.f, v * (1.f / 6.f) + 0.5f)); })};
}

std::vector<Tensor> tanh_op(const OpContext& ctx) {
  return {map_float(ctx.in(0), [](float v) { return std::tanh(v); })};
}

std::vector<Tensor> elu(const OpContext& ctx) {
  const float alpha = ctx.f("alpha", 1.f);
  return {map_float(ctx.in(0), [alpha](float v) { return v < 0.f ? alpha * std::expm1(v) : v; })};
}

std::vector<Tensor> softplus(const OpContext& ctx) {
  return {map_float(ctx.in(0), [](float v) { return std::log1p(std::exp(v)); })};
}

std::vector<Tensor> prelu(const OpContext& ctx) {
  const Tensor &x = ctx.in(0), &slope = ctx.in(1);
  if (x.dtype() != slope.dtype())
    fail("slope has dtype " + std::string(dtype_name(slope.dtype())) + ", X has " +
         std::string(dtype_name(x.dtype())));
  return {visit_numeric(x.dtype(), "input X", [&]<typename T>(Tag<T>) {
    Tensor y(x.dtype(), x.shape());  // slope broadcasts to X, not the other way
    auto xv = x.as<T>();
    auto sv = slope.as<T>();
    auto out = y.as<T>();
    for_each_broadcast<2>(x.shape(), {x.shape(), slope.shape()},
                          [&](int64_t o, const std::array<int64_t, 2>& i) {
                            const T v = xv[i[0]];
                            out[o] = v < T(0) ? static_cast<T>(v * sv[i[1]]) : v;
                          });
    return y;
  })};
}

// Clip: min/max are attributes before opset 11, optional scalar inputs after.
std::vector<Tensor> clip(const OpContext& ctx) {
  const Tensor& x = ctx.in(0);
  return {visit_numeric(x.dtype(), "input X", [&]<typename T>(Tag<T>) {
    T lo = std::numeric_limits<T>::lowest(), hi = std::numeric_limits<T>::max();
    if (ctx.opset() < 11) {
      if constexpr (!std::is_same_v<T, float>) fail("Clip before opset 11 takes float32 only");
      lo = static_cast<T>(ctx.f("min", static_cast<float>(lo)));
      hi = static_cast<T>(ctx.f("max", static_cast<float>(hi)));
    } else {
      for (size_t k : {1u, 2u}) {
        if (!ctx.has(k)) continue;
        const Tensor& b = ctx.in(k);
        if (b.dtype() != x.dtype() || b.size() != 1)
          fail(std::string(k == 1 ? "min" : "max") + " must be a one-element " +
               std::string(dtype_name(x.dtype())) + " tensor");
        (k == 1 ? lo : hi) = b.as<T>()[0];
      }
    }
    Tensor y(x.dtype(), x.shape());
    auto in = x.as<T>();
    auto out = y.as<T>();
    for (int64_t i = 0; i < x.size(); ++i) out[i] = std::min(std::max(in[i], lo), hi);
    return y;
  })};
}

// Softmax / LogSoftmax. Before opset 13 the input is coerced to 2-D at `axis`
// (default 1) and normalised over the whole second dim; from 13 on only
// over `axis` (default -1).
template <bool Log>
std::vector<Tensor> softmax(const OpContext& ctx) {
  const Tensor& x = ctx.in(0);
  require_dtype(x, {DType::kFloat32}, "input X");
  const Shape& s = x.shape();
  const auto rank = static_cast<int64_t>(s.size());
  const bool legacy = ctx.opset() < 13;
  const int64_t axis = normalize_axis(ctx.i("axis", legacy ? 1 : -1), std::max<int64_t>(rank, 1));
  const int64_t outer = product(s, 0, axis);
  const int64_t len = legacy ? product(s, axis, s.size()) : (rank ? s[axis] : 1);
  const int64_t inner = legacy ? 1 : product(s, axis + 1, s.size());
  Tensor y(DType::kFloat32, s);
  auto in = x.as<float>();
  auto out = y.as<float>();
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      const int64_t base = o * len * inner + i;
      float mx = -std::numeric_limits<float>::infinity();
      for (int64_t k = 0; k < len; ++k) mx = std::max(mx, in[base + k * inner]);
      double sum = 0;
      for (int64_t k = 0; k < len; ++k) {
        const float e = std::exp(in[base + k * inner] - mx);
        if (!Log) out[base + k * inner] = e;
        sum += e;
      }
      const auto ls = static_cast<float>(std::log(sum));
      for (int64_t k = 0; k < len; ++k) {
        float& v = out[base + k * inner];
        v = Log ? in[base + k * inner] - mx - ls : static_cast<float>(v / sum);
      }
    }
  return {std::move(y)};
}

}  // namespace

void register_activation_ops(Registry& r) {
  r["Relu"] = relu;
  r["LeakyRelu"] = leaky_relu;
  r["PRelu"] = prelu;
  r["Clip"] = clip;
  r["Sigmoid"] = sigmoid;
  r["HardSigmoid"] = hard_sigmoid;
  r["HardSwish"] = hard_swish;
  r["Tanh"] = tanh_op;
  r["Elu"] = elu;
  r["Softplus"] = softplus;
  r["Softmax"] = softmax<false>;
  r["LogSoftmax"] = softmax<true>;
}

}  // namespace npusim::compiler::ops
