// MaxPool (with the optional Indices output), AveragePool, GlobalAveragePool
// and GlobalMaxPool over N-d spatial dims.
#include <algorithm>
#include <limits>

#include "kernel.hpp"

namespace npusim::compiler::ops {
namespace {

// Per spatial axis and output index: the input indices a window covers
// (inside the input), and how many taps lie inside input + explicit pads
// (AveragePool's count_include_pad divisor).
struct AxisTaps {
  std::vector<std::vector<int64_t>> inside;
  std::vector<int64_t> padded;
};

std::vector<AxisTaps> axis_taps(const Window& w) {
  std::vector<AxisTaps> taps(w.rank());
  for (size_t d = 0; d < w.rank(); ++d) {
    taps[d].inside.resize(static_cast<size_t>(w.out[d]));
    taps[d].padded.assign(static_cast<size_t>(w.out[d]), 0);
    for (int64_t o = 0; o < w.out[d]; ++o)
      for (int64_t k = 0; k < w.kernel[d]; ++k) {
        const int64_t i = o * w.strides[d] - w.pad_begin[d] + k * w.dilations[d];
        if (i >= 0 && i < w.in[d]) taps[d].inside[o].push_back(i);
        if (i >= -w.pad_begin[d] && i < w.in[d] + w.pad_end[d]) ++taps[d].padded[o];
      }
  }
  return taps;
}

// Walks the taps of one window: calls visit(spatial offset, multi-index)
// for every tap inside the input of the window at output multi-index `o`.
struct TapWalker {
  const std::vector<AxisTaps>& taps;
  std::vector<int64_t> in_st, idx;
  std::vector<size_t> j;

  TapWalker(const std::vector<AxisTaps>& t, const Window& w)
      : taps(t), in_st(strides_of(w.in)), idx(w.rank()), j(w.rank()) {}

  template <typename F>
  void operator()(const std::vector<int64_t>& o, F&& visit);
};

template <typename F>
void TapWalker::operator()(const std::vector<int64_t>& o, F&& visit) {
  const size_t r = taps.size();
  for (size_t d = 0; d < r; ++d)
    if (taps[d].inside[o[d]].empty()) return;
  std::fill(j.begin(), j.end(), 0);
  for (;;) {
    int64_t off = 0;
    for (size_t d = 0; d < r; ++d) {
      idx[d] = taps[d].inside[o[d]][j[d]];
      off += idx[d] * in_st[d];
    }
    visit(off, idx);
    size_t d = r;
    while (d > 0) {
      --d;
      if (++j[d] < taps[d].inside[o[d]].size()) break;
      j[d] = 0;
      if (d == 0) return;
    }
  }
}

// Advances a row-major multi-index over `shape`.
void next_index(std::vector<int64_t>& o, const std::vector<int64_t>& shape) {
  for (size_t d = o.size(); d-- > 0;) {
    if (++o[d] < shape[d]) return;
    o[d] = 0;
  }
}

Window pool_window(const OpContext& ctx, const Tensor& x) {
  require_rank(x, 3, 8, "input X");
  const std::vector<int64_t> spatial(x.shape().begin() + 2, x.shape().end());
  const std::vector<int64_t> kernel = ctx.ints("kernel_shape");
  if (kernel.empty()) fail("attribute 'kernel_shape' is required");
  return read_window(ctx, spatial, kernel, ctx.i("ceil_mode", 0) != 0);
}

Shape pool_out_shape(const Tensor& x, const Window& w) {
  Shape out = {x.shape()[0], x.shape()[1]};
  out.insert(out.end(), w.out.begin(), w.out.end());
  return out;
}

std::vector<Tensor> max_pool(const OpContext& ctx) {
  const Tensor& x = ctx.in(0);
  const Window w = pool_window(ctx, x);
  const auto taps = axis_taps(w);
  TapWalker walk(taps, w);
  const std::vector<int64_t>& in_st = walk.in_st;
  // Indices: row-major, or column-major spatial offsets with storage_order=1.
  std::vector<int64_t> index_st(w.rank(), 1);
  if (ctx.i("storage_order", 0) != 0)
    for (size_t d = 1; d < w.rank(); ++d) index_st[d] = index_st[d - 1] * w.in[d - 1];
  else
    index_st = in_st;
  const int64_t planes = x.shape()[0] * x.shape()[1];
  const int64_t in_size = product(w.in, 0, w.rank()), out_size = w.out_size();
  Tensor y(x.dtype(), pool_out_shape(x, w)), indices(DType::kInt64, y.shape());
  visit_numeric(x.dtype(), "input X", [&]<typename T>(Tag<T>) {
    auto in = x.as<T>();
    auto out = y.as<T>();
    auto ind = indices.as<int64_t>();
    std::vector<int64_t> o(w.rank(), 0);
    for (int64_t p = 0; p < planes; ++p)
      for (int64_t q = 0; q < out_size; ++q, next_index(o, w.out)) {
        T best = std::numeric_limits<T>::lowest();
        int64_t best_at = 0;
        bool found = false;
        walk(o, [&](int64_t off, const std::vector<int64_t>& i) {
          const T v = in[p * in_size + off];
          if (found && !(v > best)) return;
          best = v;
          found = true;
          best_at = 0;
          for (size_t d = 0; d < i.size(); ++d) best_at += i[d] * index_st[d];
        });
        out[p * out_size + q] = best;
        ind[p * out_size + q] = p * in_size + best_at;
      }
  });
  if (ctx.output_count() > 1) return {std::move(y), std::move(indices)};
  return {std::move(y)};
}

std::vector<Tensor> average_pool(const OpContext& ctx) {
  const Tensor& x = ctx.in(0);
  require_dtype(x, {DType::kFloat32}, "input X");
  const Window w = pool_window(ctx, x);
  const auto taps = axis_taps(w);
  const bool include_pad = ctx.i("count_include_pad", 0) != 0;
  TapWalker walk(taps, w);
  const int64_t planes = x.shape()[0] * x.shape()[1];
  const int64_t in_size = product(w.in, 0, w.rank()), out_size = w.out_size();
  Tensor y(DType::kFloat32, pool_out_shape(x, w));
  auto in = x.as<float>();
  auto out = y.as<float>();
  std::vector<int64_t> o(w.rank(), 0);
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t q = 0; q < out_size; ++q, next_index(o, w.out)) {
      double sum = 0;
      int64_t count = 0;
      walk(o, [&](int64_t off, const std::vector<int64_t>&) {
        sum += in[p * in_size + off];
        ++count;
      });
      if (include_pad) {
        count = 1;
        for (size_t d = 0; d < w.rank(); ++d) count *= taps[d].padded[o[d]];
      }
      out[p * out_size + q] = count ? static_cast<float>(sum / static_cast<double>(count)) : 0.f;
    }
  return {std::move(y)};
}

template <bool Max>
std::vector<Tensor> global_pool(const OpContext& ctx) {
  const Tensor& x = ctx.in(0);
  require_rank(x, 3, 8, "input X");
  if (!Max) require_dtype(x, {DType::kFloat32}, "input X");
  Shape out_shape = x.shape();
  std::fill(out_shape.begin() + 2, out_shape.end(), 1);
  const int64_t planes = x.shape()[0] * x.shape()[1];
  const int64_t size = product(x.shape(), 2, x.shape().size());
  return {visit_numeric(x.dtype(), "input X", [&]<typename T>(Tag<T>) {
    Tensor y(x.dtype(), out_shape);
    auto in = x.as<T>();
    auto out = y.as<T>();
    for (int64_t p = 0; p < planes; ++p) {
      const T* src = in.data() + p * size;
      if constexpr (Max) {
        out[p] = size ? *std::max_element(src, src + size) : T{};
      } else {
        double sum = 0;
        for (int64_t i = 0; i < size; ++i) sum += src[i];
        out[p] = static_cast<T>(sum / static_cast<double>(size));
      }
    }
    return y;
  })};
}

}  // namespace

void register_pool_ops(Registry& r) {
  r["MaxPool"] = max_pool;
  r["AveragePool"] = average_pool;
  r["GlobalMaxPool"] = global_pool<true>;
  r["GlobalAveragePool"] = global_pool<false>;
}

}  // namespace npusim::compiler::ops
