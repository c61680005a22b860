// Gemm, MatMul (numpy batching), MatMulInteger and QLinearMatMul.
#include <algorithm>

#include "kernel.hpp"

namespace npusim::compiler::ops {
namespace {

std::vector<Tensor> gemm(const OpContext& ctx) {
  const Tensor &a = ctx.in(0), &b = ctx.in(1);
  require_dtype(a, {DType::kFloat32}, "input A");
  require_dtype(b, {DType::kFloat32}, "input B");
  require_rank(a, 2, 2, "input A");
  require_rank(b, 2, 2, "input B");
  const bool ta = ctx.i("transA", 0) != 0, tb = ctx.i("transB", 0) != 0;
  const int64_t m = a.shape()[ta ? 1 : 0], k = a.shape()[ta ? 0 : 1];
  const int64_t kb = b.shape()[tb ? 1 : 0], n = b.shape()[tb ? 0 : 1];
  if (k != kb)
    fail("inner dims differ: A " + shape_string(a.shape()) + (ta ? "^T" : "") + " x B " +
         shape_string(b.shape()) + (tb ? "^T" : ""));
  const float alpha = ctx.f("alpha", 1.f), beta = ctx.f("beta", 1.f);
  Tensor y(DType::kFloat32, {m, n});
  const MatView av = ta ? MatView{a.as<float>().data(), 1, m} : MatView{a.as<float>().data(), k, 1};
  const MatView bv = tb ? MatView{b.as<float>().data(), 1, k} : MatView{b.as<float>().data(), n, 1};
  auto out = y.as<float>();
  sgemm(m, n, k, av, bv, out.data(), n, false);
  if (alpha != 1.f)
    for (float& v : out) v *= alpha;
  if (ctx.has(2) && beta != 0.f) {
    const Tensor& c = ctx.in(2);
    require_dtype(c, {DType::kFloat32}, "input C");
    auto cv = c.as<float>();
    for_each_broadcast<2>(
        y.shape(), {y.shape(), c.shape()},
        [&](int64_t o, const std::array<int64_t, 2>& off) { out[o] += beta * cv[off[1]]; });
  }
  return {std::move(y)};
}

std::vector<Tensor> matmul(const OpContext& ctx) {
  const Tensor &a = ctx.in(0), &b = ctx.in(1);
  require_dtype(a, {DType::kFloat32}, "input A");
  require_dtype(b, {DType::kFloat32}, "input B");
  const MatmulPlan p = plan_matmul(a.shape(), b.shape());
  Tensor y(DType::kFloat32, p.out);
  float* out = y.as<float>().data();
  for (size_t i = 0; i < p.a_offsets.size(); ++i)
    sgemm(p.m, p.n, p.k, {a.as<float>().data() + p.a_offsets[i], p.k, 1},
          {b.as<float>().data() + p.b_offsets[i], p.n, 1}, out + int64_t(i) * p.m * p.n, p.n,
          false);
  return {std::move(y)};
}

// int32 (a - a_zp[row]) · (b - b_zp[col]) with numpy batching.
Tensor matmul_int32(const Tensor& a, const Tensor& b, const std::vector<int32_t>& a_zp,
                    const std::vector<int32_t>& b_zp, const MatmulPlan& p) {
  require_dtype(a, {DType::kInt8, DType::kUint8}, "input A");
  require_dtype(b, {DType::kInt8, DType::kUint8}, "input B");
  std::vector<int32_t> ai(static_cast<size_t>(a.size())), bi(static_cast<size_t>(b.size()));
  for (int64_t i = 0; i < a.size(); ++i)
    ai[i] = static_cast<int32_t>(a.int_at(i)) - a_zp[(i / p.k) % p.m];
  for (int64_t i = 0; i < b.size(); ++i) bi[i] = static_cast<int32_t>(b.int_at(i)) - b_zp[i % p.n];
  Tensor y(DType::kInt32, p.out);
  int32_t* out = y.as<int32_t>().data();
  for (size_t i = 0; i < p.a_offsets.size(); ++i)
    igemm(p.m, p.n, p.k, ai.data() + p.a_offsets[i], p.k, bi.data() + p.b_offsets[i], p.n,
          out + int64_t(i) * p.m * p.n, p.n);
  return y;
}

std::vector<Tensor> matmul_integer(const OpContext& ctx) {
  const Tensor &a = ctx.in(0), &b = ctx.in(1);
  const MatmulPlan p = plan_matmul(a.shape(), b.shape());
  return {matmul_int32(a, b, zero_points(ctx, 2, p.m, "a_zero_point"),
                       zero_points(ctx, 3, p.n, "b_zero_point"), p)};
}

// QLinearMatMul: a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp. b's
// scale and zero point may be per column.
std::vector<Tensor> qlinear_matmul(const OpContext& ctx) {
  const Tensor &a = ctx.in(0), &b = ctx.in(3);
  const MatmulPlan p = plan_matmul(a.shape(), b.shape());
  const Tensor acc = matmul_int32(a, b, zero_points(ctx, 2, p.m, "a_zero_point"),
                                  zero_points(ctx, 5, p.n, "b_zero_point"), p);
  const auto a_scale = static_cast<float>(read_scalar(ctx.in(1), "a_scale"));
  const std::vector<float> b_scale = read_floats(ctx.in(4), "b_scale");
  if (b_scale.size() != 1 && static_cast<int64_t>(b_scale.size()) != p.n)
    fail("b_scale has " + std::to_string(b_scale.size()) + " values, expected 1 or " +
         std::to_string(p.n));
  const auto y_scale = static_cast<float>(read_scalar(ctx.in(6), "y_scale"));
  const Tensor& y_zp_t = ctx.in(7);
  require_dtype(y_zp_t, {DType::kInt8, DType::kUint8}, "y_zero_point");
  const auto y_zp = static_cast<int32_t>(read_scalar(y_zp_t, "y_zero_point"));
  const auto scale = [&](int64_t i) {
    return a_scale * b_scale[b_scale.size() == 1 ? 0 : i % p.n] / y_scale;
  };
  return {requantize_float(acc, scale, y_zp, y_zp_t.dtype())};
}

}  // namespace

void register_matmul_ops(Registry& r) {
  r["Gemm"] = gemm;
  r["MatMul"] = matmul;
  r["MatMulInteger"] = matmul_integer;
  r["QLinearMatMul"] = qlinear_matmul;
}

}  // namespace npusim::compiler::ops
