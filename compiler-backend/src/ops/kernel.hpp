// Private interface of the reference executor's op implementations: the op
// registry, the per-node context and helpers shared by the op families
// (broadcasting, dtype dispatch, index-table gathers, window geometry, GEMM).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "npusim/compiler/graph.hpp"
#include "npusim/compiler/tensor.hpp"

namespace npusim::compiler::ops {

// Throws a CompileError with `why`; execute_node prefixes the node's description.
[[noreturn]] void fail(const std::string& why);

// What an op sees of its node: inputs (nullptr = omitted optional input),
// typed attribute access with readable errors, and the model's opset.
class OpContext {
 public:
  OpContext(const Node& node, std::span<const Tensor* const> inputs, int64_t opset)
      : node_(node), inputs_(inputs), opset_(opset) {}

  const Node& node() const { return node_; }
  int64_t opset() const { return opset_; }
  size_t input_count() const { return inputs_.size(); }
  bool has(size_t i) const { return i < inputs_.size() && inputs_[i] != nullptr; }
  // Input i; throws naming the input when it is missing.
  const Tensor& in(size_t i) const;
  size_t output_count() const { return node_.outputs.size(); }

  int64_t i(const std::string& a, int64_t fallback) const;
  float f(const std::string& a, float fallback) const;
  std::string s(const std::string& a, const std::string& fallback) const;
  std::vector<int64_t> ints(const std::string& a, std::vector<int64_t> fallback = {}) const;
  std::vector<float> floats(const std::string& a, std::vector<float> fallback = {}) const;
  const Tensor* tensor(const std::string& a) const;  // nullptr when absent

 private:
  const Node& node_;
  std::span<const Tensor* const> inputs_;
  int64_t opset_;
};

using OpFn = std::vector<Tensor> (*)(const OpContext&);
// Keys: the op type for the default ONNX domain, "domain.Op" for others
// (e.g. "npusim.QConv").
using Registry = std::map<std::string, OpFn, std::less<>>;

// One per op family file; executor.cpp calls them all (explicit calls, since
// self-registering statics are dropped when linking a static library).
void register_elementwise_ops(Registry& r);
void register_activation_ops(Registry& r);
void register_conv_ops(Registry& r);
void register_matmul_ops(Registry& r);
void register_pool_ops(Registry& r);
void register_norm_ops(Registry& r);
void register_resize_ops(Registry& r);
void register_layout_ops(Registry& r);
void register_shape_ops(Registry& r);
void register_reduce_ops(Registry& r);
void register_quantize_ops(Registry& r);
void register_npu_ops(Registry& r);  // domain "npusim" (npu_ops.hpp)

// ---- dtype dispatch: f(Tag<T>{}) with the element type of `t` ----
template <typename T>
struct Tag {
  using type = T;
};

// float32 and the integer types (not bool).
template <typename F>
decltype(auto) visit_numeric(DType t, const char* what, F&& f) {
  switch (t) {
    case DType::kFloat32:
      return f(Tag<float>{});
    case DType::kUint8:
      return f(Tag<uint8_t>{});
    case DType::kInt8:
      return f(Tag<int8_t>{});
    case DType::kInt32:
      return f(Tag<int32_t>{});
    case DType::kInt64:
      return f(Tag<int64_t>{});
    default:
      fail(std::string(what) + " has dtype " + std::string(dtype_name(t)) +
           " (expected float32 or an integer type)");
  }
}

// Every dtype; bool as uint8_t (0/1).
template <typename F>
decltype(auto) visit_all(DType t, const char* what, F&& f) {
  if (t == DType::kBool) return f(Tag<uint8_t>{});
  return visit_numeric(t, what, std::forward<F>(f));
}

// Raw element storage of the dtype's size, for ops that only move data.
template <typename F>
decltype(auto) visit_storage(DType t, F&& f) {
  switch (dtype_size(t)) {
    case 1:
      return f(Tag<uint8_t>{});
    case 4:
      return f(Tag<uint32_t>{});
    case 8:
      return f(Tag<uint64_t>{});
    default:
      fail("tensor has undefined dtype");
  }
}

// ---- checks and small conversions (common.cpp) ----
void require_dtype(const Tensor& t, std::initializer_list<DType> allowed, const std::string& what);
void require_rank(const Tensor& t, size_t min_rank, size_t max_rank, const std::string& what);
int64_t normalize_axis(int64_t axis, int64_t rank, const std::string& what = "axis");
// Values of an int32/int64 tensor (shape inputs, axes, pads, ...).
std::vector<int64_t> read_ints(const Tensor& t, const std::string& what);
// Values of a float32 tensor (scales, roi).
std::vector<float> read_floats(const Tensor& t, const std::string& what);
// A one-element tensor's value as double.
double read_scalar(const Tensor& t, const std::string& what);
std::vector<int64_t> strides_of(const Shape& s);  // row-major element strides
int64_t product(const Shape& s, size_t begin, size_t end);

// ---- quantized ops ----
// Optional zero point input `index` (int8/uint8): one value, or `count`
// values (per channel / row / column); zeros when the input is omitted.
std::vector<int32_t> zero_points(const OpContext& ctx, size_t index, int64_t count,
                                 const std::string& what);
// The QLinear output stage as ONNX and ONNX Runtime define it: float
// multiplier scale_of(i), float product, round half to even, + zero point,
// saturate to the type of `zp_type` (int8/uint8).
Tensor requantize_float(const Tensor& acc, const std::function<float(int64_t)>& scale_of,
                        int32_t zp, DType zp_type);

// ---- numpy broadcasting ----
Shape broadcast_shapes(const Shape& a, const Shape& b);  // throws on incompatible dims
// Element strides of `in` seen from `out`'s index space (0 on broadcast dims).
std::vector<int64_t> broadcast_strides(const Shape& in, const Shape& out);

// Calls f(out_index, offsets) for every element of `out`, where offsets[k]
// is the element offset of input k (shape in[k]) under broadcasting.
template <size_t N, typename F>
void for_each_broadcast(const Shape& out, const std::array<Shape, N>& in, F&& f) {
  const int64_t total = element_count(out);
  std::array<int64_t, N> offs{};
  bool same = true;
  for (const auto& s : in) same = same && s == out;
  if (same) {  // the common case: no index arithmetic
    for (int64_t o = 0; o < total; ++o) {
      offs.fill(o);
      f(o, offs);
    }
    return;
  }
  if (total == 0) return;
  const size_t rank = out.size();
  std::array<std::vector<int64_t>, N> st;
  for (size_t k = 0; k < N; ++k) st[k] = broadcast_strides(in[k], out);
  const int64_t inner = rank ? out[rank - 1] : 1;
  std::vector<int64_t> idx(rank, 0);
  std::array<int64_t, N> base{};
  for (int64_t o = 0; o < total; o += inner) {
    for (int64_t i = 0; i < inner; ++i) {
      for (size_t k = 0; k < N; ++k) offs[k] = base[k] + (rank ? i * st[k][rank - 1] : 0);
      f(o + i, offs);
    }
    for (int64_t d = static_cast<int64_t>(rank) - 2; d >= 0; --d) {  // odometer
      for (size_t k = 0; k < N; ++k) base[k] += st[k][d];
      if (++idx[d] < out[d]) break;
      for (size_t k = 0; k < N; ++k) base[k] -= st[k][d] * out[d];
      idx[d] = 0;
    }
  }
}

// out[i] = in[sum_d tables[d][i_d]] over the multi-index i of `out_shape`;
// where any table entry is negative the element is `fill` (one element of
// in's dtype; zero when null). Serves Transpose, Slice, Pad, Expand, Tile.
Tensor gather_by_tables(const Tensor& in, const Shape& out_shape,
                        const std::vector<std::vector<int64_t>>& tables,
                        const Tensor* fill = nullptr);

// ---- sliding windows of Conv / ConvTranspose / pooling ----
struct Window {
  std::vector<int64_t> in, kernel, strides, dilations, pad_begin, pad_end, out;
  size_t rank() const { return in.size(); }
  int64_t kernel_size() const;  // product of kernel dims
  int64_t out_size() const;     // product of out dims
};
// Reads strides, dilations, pads and auto_pad of a Conv or pooling node for
// input spatial dims `in`. ceil_mode: pooling's output rounding.
Window read_window(const OpContext& ctx, const std::vector<int64_t>& in,
                   const std::vector<int64_t>& kernel, bool ceil_mode);

// ---- matrix products (gemm.cpp) ----
// Element (i, j) of a strided matrix is p[i * rs + j * cs].
struct MatView {
  const float* p;
  int64_t rs, cs;
};
// C[M x N] (row stride ldc) = A·B, or C += A·B when accumulate. Blocked,
// packed and vectorised; the summation order per element is fixed, so the
// result does not depend on the CPU's vector width.
void sgemm(int64_t m, int64_t n, int64_t k, MatView a, MatView b, float* c, int64_t ldc,
           bool accumulate);
// C[M x N] += A[M x K]·B[K x N], row-major int32 (row strides lda, ldb, ldc).
void igemm(int64_t m, int64_t n, int64_t k, const int32_t* a, int64_t lda, const int32_t* b,
           int64_t ldb, int32_t* c, int64_t ldc);

// Batched matmul geometry with numpy broadcasting of the batch dims (1-D
// operands promoted as numpy does).
struct MatmulPlan {
  Shape out;
  int64_t m = 0, n = 0, k = 0;
  std::vector<int64_t> a_offsets, b_offsets;  // per output batch, element offsets
};
MatmulPlan plan_matmul(const Shape& a, const Shape& b);

}  // namespace npusim::compiler::ops
