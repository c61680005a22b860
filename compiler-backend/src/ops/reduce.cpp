// Reductions (ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceProd,
// ReduceSumSquare, ReduceL1, ReduceL2) and ArgMax / ArgMin.
#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <set>

#include "kernel.hpp"

namespace npusim::compiler::ops {
namespace {

enum class Red { kSum, kMean, kMax, kMin, kProd, kSumSquare, kL1, kL2 };

// Axes to reduce (sorted, normalised); empty optional means all axes.
std::optional<std::set<int64_t>> reduce_axes(const OpContext& ctx, int64_t rank) {
  std::vector<int64_t> axes;
  // ReduceSum takes axes as an input from opset 13, the others from 18.
  const bool as_input = ctx.node().op == "ReduceSum" ? ctx.opset() >= 13 : ctx.opset() >= 18;
  if (as_input) {
    if (ctx.has(1)) axes = read_ints(ctx.in(1), "axes");
  } else {
    axes = ctx.ints("axes");
  }
  if (axes.empty()) {
    if (ctx.i("noop_with_empty_axes", 0) != 0) return std::nullopt;
    for (int64_t d = 0; d < rank; ++d) axes.push_back(d);
  }
  std::set<int64_t> out;
  for (int64_t a : axes) out.insert(normalize_axis(a, rank));
  return out;
}

template <typename T>
double start_value(Red op) {
  switch (op) {
    case Red::kMax:
      return static_cast<double>(std::numeric_limits<T>::lowest());
    case Red::kMin:
      return static_cast<double>(std::numeric_limits<T>::max());
    case Red::kProd:
      return 1;
    default:
      return 0;
  }
}

double combine(Red op, double acc, double v) {
  switch (op) {
    case Red::kMax:
      return std::max(acc, v);
    case Red::kMin:
      return std::min(acc, v);
    case Red::kProd:
      return acc * v;
    case Red::kSumSquare:
    case Red::kL2:
      return acc + v * v;
    case Red::kL1:
      return acc + std::abs(v);
    default:
      return acc + v;
  }
}

template <Red Op>
std::vector<Tensor> reduce(const OpContext& ctx) {
  const Tensor& x = ctx.in(0);
  const auto rank = static_cast<int64_t>(x.shape().size());
  const auto axes = reduce_axes(ctx, rank);
  if (!axes) return {x};
  Shape kept = x.shape(), out;
  for (int64_t d = 0; d < rank; ++d) {
    if (axes->count(d)) kept[d] = 1;
    if (!axes->count(d) || ctx.i("keepdims", 1) != 0) out.push_back(kept[d]);
  }
  const int64_t count = x.size() / std::max<int64_t>(element_count(kept), 1);
  return {visit_numeric(x.dtype(), "input data", [&]<typename T>(Tag<T>) {
    // Accumulates in double: exact for the integer sizes here, and float
    // sums lose less than a float accumulator would.
    std::vector<double> acc(static_cast<size_t>(element_count(kept)), start_value<T>(Op));
    auto in = x.as<T>();
    for_each_broadcast<1>(x.shape(), {kept}, [&](int64_t i, const std::array<int64_t, 1>& o) {
      acc[o[0]] = combine(Op, acc[o[0]], static_cast<double>(in[i]));
    });
    Tensor y(x.dtype(), out);
    auto dst = y.as<T>();
    for (size_t i = 0; i < acc.size(); ++i) {
      double v = acc[i];
      if (Op == Red::kMean) v /= static_cast<double>(count);
      if (Op == Red::kL2) v = std::sqrt(v);
      dst[i] = std::is_floating_point_v<T> ? static_cast<T>(v)
                                           : static_cast<T>(static_cast<int64_t>(std::trunc(v)));
    }
    return y;
  })};
}

template <bool Max>
std::vector<Tensor> arg_reduce(const OpContext& ctx) {
  const Tensor& x = ctx.in(0);
  const auto rank = static_cast<int64_t>(x.shape().size());
  const int64_t axis = normalize_axis(ctx.i("axis", 0), rank);
  const bool last = ctx.i("select_last_index", 0) != 0;
  const int64_t outer = product(x.shape(), 0, axis), len = x.shape()[axis];
  const int64_t inner = product(x.shape(), axis + 1, x.shape().size());
  Shape out = x.shape();
  if (ctx.i("keepdims", 1) != 0)
    out[axis] = 1;
  else
    out.erase(out.begin() + axis);
  Tensor y(DType::kInt64, out);
  auto dst = y.as<int64_t>();
  visit_numeric(x.dtype(), "input data", [&]<typename T>(Tag<T>) {
    auto in = x.as<T>();
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < inner; ++i) {
        int64_t best = 0;
        for (int64_t k = 1; k < len; ++k) {
          const T v = in[(o * len + k) * inner + i], b = in[(o * len + best) * inner + i];
          const bool better = Max ? (last ? v >= b : v > b) : (last ? v <= b : v < b);
          if (better) best = k;
        }
        dst[o * inner + i] = best;
      }
  });
  return {std::move(y)};
}

}  // namespace

void register_reduce_ops(Registry& r) {
  r["ReduceSum"] = reduce<Red::kSum>;
  r["ReduceMean"] = reduce<Red::kMean>;
  r["ReduceMax"] = reduce<Red::kMax>;
  r["ReduceMin"] = reduce<Red::kMin>;
  r["ReduceProd"] = reduce<Red::kProd>;
  r["ReduceSumSquare"] = reduce<Red::kSumSquare>;
  r["ReduceL1"] = reduce<Red::kL1>;
  r["ReduceL2"] = reduce<Red::kL2>;
  r["ArgMax"] = arg_reduce<true>;
  r["ArgMin"] = arg_reduce<false>;
}

}  // namespace npusim::compiler::ops
