// Elementwise ops with numpy broadcasting: arithmetic (Add, Sub, Mul, Div,
// Pow, Max, Min, Sum, Mean), comparisons, logic, Where and unary math.
#include <cmath>
#include <concepts>
#include <type_traits>

#include "kernel.hpp"

namespace npusim::compiler::ops {
namespace {

// Integer arithmetic wraps like numpy's (through the unsigned type, so it is
// defined behaviour); float arithmetic is IEEE.
template <typename T>
struct WideOf {
  using type = T;
};
template <std::integral T>
struct WideOf<T> {
  using type = std::make_unsigned_t<T>;
};
template <typename T>
using Wide = typename WideOf<T>::type;

template <typename T, typename F>
Tensor binary(const Tensor& a, const Tensor& b, DType out_type, F f) {
  Tensor y(out_type, broadcast_shapes(a.shape(), b.shape()));
  auto av = a.as<T>();
  auto bv = b.as<T>();
  if (out_type == DType::kBool) {
    auto out = y.as<uint8_t>();
    for_each_broadcast<2>(y.shape(), {a.shape(), b.shape()},
                          [&](int64_t o, const std::array<int64_t, 2>& i) {
                            out[o] = f(av[i[0]], bv[i[1]]) ? 1 : 0;
                          });
  } else {
    auto out = y.as<T>();
    for_each_broadcast<2>(y.shape(), {a.shape(), b.shape()},
                          [&](int64_t o, const std::array<int64_t, 2>& i) {
                            out[o] = static_cast<T>(f(av[i[0]], bv[i[1]]));
                          });
  }
  return y;
}

void same_dtype(const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype())
    fail("inputs have different dtypes " + std::string(dtype_name(a.dtype())) + " and " +
         std::string(dtype_name(b.dtype())));
}

enum class Arith { kAdd, kSub, kMul, kDiv, kMax, kMin };

template <typename T>
T arith(Arith op, T x, T y) {
  using W = Wide<T>;
  switch (op) {
    case Arith::kAdd:
      return static_cast<T>(static_cast<W>(x) + static_cast<W>(y));
    case Arith::kSub:
      return static_cast<T>(static_cast<W>(x) - static_cast<W>(y));
    case Arith::kMul:
      return static_cast<T>(static_cast<W>(x) * static_cast<W>(y));
    case Arith::kDiv:
      if constexpr (std::is_integral_v<T>) {
        if (y == 0) fail("integer division by zero");
        if (std::is_signed_v<T> && y == T(-1)) return static_cast<T>(W(0) - static_cast<W>(x));
      }
      return static_cast<T>(x / y);
    case Arith::kMax:
      return x < y ? y : x;
    case Arith::kMin:
      return y < x ? y : x;
  }
  return x;
}

Tensor arith_pair(const Tensor& a, const Tensor& b, Arith op) {
  same_dtype(a, b);
  return visit_numeric(a.dtype(), "input A", [&]<typename T>(Tag<T>) {
    return binary<T>(a, b, a.dtype(), [op](T x, T y) { return arith(op, x, y); });
  });
}

template <Arith Op>
std::vector<Tensor> arith_op(const OpContext& ctx) {
  return {arith_pair(ctx.in(0), ctx.in(1), Op)};
}

// Max, Min, Sum, Mean: a fold over any number of inputs.
template <Arith Op, bool Mean = false>
std::vector<Tensor> variadic(const OpContext& ctx) {
  if (ctx.input_count() == 0) fail("needs at least one input");
  Tensor acc = ctx.in(0);
  for (size_t i = 1; i < ctx.input_count(); ++i) acc = arith_pair(acc, ctx.in(i), Op);
  if constexpr (Mean) {
    require_dtype(acc, {DType::kFloat32}, "Mean input");
    for (float& v : acc.as<float>()) v /= static_cast<float>(ctx.input_count());
  }
  return {std::move(acc)};
}

// Pow: the exponent may have another numeric dtype; the result has the base's.
std::vector<Tensor> pow_op(const OpContext& ctx) {
  const Tensor &a = ctx.in(0), &b = ctx.in(1);
  std::vector<double> e(static_cast<size_t>(b.size()));
  for (int64_t i = 0; i < b.size(); ++i) e[i] = b.at(i);
  return {visit_numeric(a.dtype(), "base X", [&]<typename T>(Tag<T>) {
    Tensor y(a.dtype(), broadcast_shapes(a.shape(), b.shape()));
    auto av = a.as<T>();
    auto out = y.as<T>();
    for_each_broadcast<2>(
        y.shape(), {a.shape(), b.shape()}, [&](int64_t o, const std::array<int64_t, 2>& i) {
          out[o] = static_cast<T>(std::pow(static_cast<double>(av[i[0]]), e[i[1]]));
        });
    return y;
  })};
}

enum class Cmp { kEq, kGt, kLt, kGe, kLe };

template <Cmp Op>
std::vector<Tensor> compare(const OpContext& ctx) {
  const Tensor &a = ctx.in(0), &b = ctx.in(1);
  same_dtype(a, b);
  return {visit_all(a.dtype(), "input A", [&]<typename T>(Tag<T>) {
    return binary<T>(a, b, DType::kBool, [](T x, T y) {
      switch (Op) {
        case Cmp::kEq:
          return x == y;
        case Cmp::kGt:
          return x > y;
        case Cmp::kLt:
          return x < y;
        case Cmp::kGe:
          return x >= y;
        case Cmp::kLe:
          return x <= y;
      }
      return false;
    });
  })};
}

enum class Logic { kAnd, kOr, kXor };

template <Logic Op>
std::vector<Tensor> logic(const OpContext& ctx) {
  const Tensor &a = ctx.in(0), &b = ctx.in(1);
  require_dtype(a, {DType::kBool}, "input A");
  require_dtype(b, {DType::kBool}, "input B");
  return {binary<uint8_t>(a, b, DType::kBool, [](uint8_t x, uint8_t y) {
    return Op == Logic::kAnd ? (x && y) : Op == Logic::kOr ? (x || y) : (!x != !y);
  })};
}

std::vector<Tensor> not_op(const OpContext& ctx) {
  const Tensor& x = ctx.in(0);
  require_dtype(x, {DType::kBool}, "input X");
  Tensor y(DType::kBool, x.shape());
  auto in = x.as<uint8_t>();
  auto out = y.as<uint8_t>();
  for (int64_t i = 0; i < x.size(); ++i) out[i] = in[i] ? 0 : 1;
  return {std::move(y)};
}

std::vector<Tensor> where(const OpContext& ctx) {
  const Tensor &c = ctx.in(0), &x = ctx.in(1), &y = ctx.in(2);
  require_dtype(c, {DType::kBool}, "condition");
  same_dtype(x, y);
  Tensor out(x.dtype(), broadcast_shapes(c.shape(), broadcast_shapes(x.shape(), y.shape())));
  visit_storage(x.dtype(), [&]<typename T>(Tag<T>) {
    auto cv = c.as<uint8_t>();
    auto xv = x.as<T>();
    auto yv = y.as<T>();
    auto ov = out.as<T>();
    for_each_broadcast<3>(out.shape(), {c.shape(), x.shape(), y.shape()},
                          [&](int64_t o, const std::array<int64_t, 3>& i) {
                            ov[o] = cv[i[0]] ? xv[i[1]] : yv[i[2]];
                          });
  });
  return {std::move(out)};
}

// ---- unary ----

template <float (*F)(float)>
std::vector<Tensor> unary_float(const OpContext& ctx) {
  const Tensor& x = ctx.in(0);
  require_dtype(x, {DType::kFloat32}, "input X");
  Tensor y(DType::kFloat32, x.shape());
  auto in = x.as<float>();
  auto out = y.as<float>();
  for (int64_t i = 0; i < x.size(); ++i) out[i] = F(in[i]);
  return {std::move(y)};
}

float f_sqrt(float v) {
  return std::sqrt(v);
}
float f_exp(float v) {
  return std::exp(v);
}
float f_log(float v) {
  return std::log(v);
}
float f_floor(float v) {
  return std::floor(v);
}
float f_ceil(float v) {
  return std::ceil(v);
}
float f_round(float v) {
  return std::nearbyint(v);
}  // half to even (default rounding mode)
float f_reciprocal(float v) {
  return 1.f / v;
}
float f_erf(float v) {
  return std::erf(v);
}
float f_sin(float v) {
  return std::sin(v);
}
float f_cos(float v) {
  return std::cos(v);
}

enum class Signed { kNeg, kAbs, kSign };

template <Signed Op>
std::vector<Tensor> signed_unary(const OpContext& ctx) {
  const Tensor& x = ctx.in(0);
  return {visit_numeric(x.dtype(), "input X", [&]<typename T>(Tag<T>) {
    Tensor y(x.dtype(), x.shape());
    auto in = x.as<T>();
    auto out = y.as<T>();
    for (int64_t i = 0; i < x.size(); ++i) {
      const T v = in[i];
      if constexpr (Op == Signed::kNeg)
        out[i] = static_cast<T>(Wide<T>(0) - static_cast<Wide<T>>(v));
      else if constexpr (Op == Signed::kAbs)
        out[i] = v < T(0) ? static_cast<T>(Wide<T>(0) - static_cast<Wide<T>>(v)) : v;
      else
        out[i] = static_cast<T>(v > T(0) ? 1 : (v < T(0) ? -1 : 0));
    }
    return y;
  })};
}

}  // namespace

void register_elementwise_ops(Registry& r) {
  r["Add"] = arith_op<Arith::kAdd>;
  r["Sub"] = arith_op<Arith::kSub>;
  r["Mul"] = arith_op<Arith::kMul>;
  r["Div"] = arith_op<Arith::kDiv>;
  r["Max"] = variadic<Arith::kMax>;
  r["Min"] = variadic<Arith::kMin>;
  r["Sum"] = variadic<Arith::kAdd>;
  r["Mean"] = variadic<Arith::kAdd, true>;
  r["Pow"] = pow_op;
  r["Equal"] = compare<Cmp::kEq>;
  r["Greater"] = compare<Cmp::kGt>;
  r["Less"] = compare<Cmp::kLt>;
  r["GreaterOrEqual"] = compare<Cmp::kGe>;
  r["LessOrEqual"] = compare<Cmp::kLe>;
  r["And"] = logic<Logic::kAnd>;
  r["Or"] = logic<Logic::kOr>;
  r["Xor"] = logic<Logic::kXor>;
  r["Not"] = not_op;
  r["Where"] = where;
  r["Sqrt"] = unary_float<f_sqrt>;
  r["Exp"] = unary_float<f_exp>;
  r["Log"] = unary_float<f_log>;
  r["Floor"] = unary_float<f_floor>;
  r["Ceil"] = unary_float<f_ceil>;
  r["Round"] = unary_float<f_round>;
  r["Reciprocal"] = unary_float<f_reciprocal>;
  r["Erf"] = unary_float<f_erf>;
  r["Sin"] = unary_float<f_sin>;
  r["Cos"] = unary_float<f_cos>;
  r["Neg"] = signed_unary<Signed::kNeg>;
  r["Abs"] = signed_unary<Signed::kAbs>;
  r["Sign"] = signed_unary<Signed::kSign>;
}

}  // namespace npusim::compiler::ops
