// Ops that move data without arithmetic: Transpose, Slice, Pad, Expand,
// Tile (all through per-axis index tables), Concat, Split and Gather.
#include <algorithm>
#include <cstring>
#include <numeric>

#include "kernel.hpp"

namespace npusim::compiler::ops {
namespace {

std::vector<int64_t> iota_table(int64_t n, int64_t stride) {
  std::vector<int64_t> t(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) t[i] = i * stride;
  return t;
}

std::vector<Tensor> transpose(const OpContext& ctx) {
  const Tensor& x = ctx.in(0);
  const auto rank = static_cast<int64_t>(x.shape().size());
  std::vector<int64_t> perm(static_cast<size_t>(rank));
  std::iota(perm.rbegin(), perm.rend(), 0);  // default: reverse the axes
  perm = ctx.ints("perm", perm);
  std::vector<int64_t> seen(static_cast<size_t>(rank), 0);
  if (static_cast<int64_t>(perm.size()) != rank) fail("perm does not match the input rank");
  for (int64_t p : perm)
    if (p < 0 || p >= rank || seen[p]++) fail("perm is not a permutation of the axes");
  const std::vector<int64_t> st = strides_of(x.shape());
  Shape out(static_cast<size_t>(rank));
  std::vector<std::vector<int64_t>> tables;
  for (int64_t d = 0; d < rank; ++d) {
    out[d] = x.shape()[perm[d]];
    tables.push_back(iota_table(out[d], st[perm[d]]));
  }
  return {gather_by_tables(x, out, tables)};
}

// Slice parameters: attributes before opset 10, inputs after.
struct SliceArgs {
  std::vector<int64_t> starts, ends, axes, steps;
};

SliceArgs slice_args(const OpContext& ctx, int64_t rank) {
  SliceArgs a;
  if (ctx.opset() < 10) {
    a.starts = ctx.ints("starts");
    a.ends = ctx.ints("ends");
    a.axes = ctx.ints("axes");
  } else {
    a.starts = read_ints(ctx.in(1), "starts");
    a.ends = read_ints(ctx.in(2), "ends");
    if (ctx.has(3)) a.axes = read_ints(ctx.in(3), "axes");
    if (ctx.has(4)) a.steps = read_ints(ctx.in(4), "steps");
  }
  if (a.axes.empty())
    for (int64_t i = 0; i < static_cast<int64_t>(a.starts.size()); ++i) a.axes.push_back(i);
  if (a.steps.empty()) a.steps.assign(a.starts.size(), 1);
  if (a.ends.size() != a.starts.size() || a.axes.size() != a.starts.size() ||
      a.steps.size() != a.starts.size())
    fail("starts/ends/axes/steps have different lengths");
  for (int64_t& ax : a.axes) ax = normalize_axis(ax, rank, "slice axis");
  return a;
}

std::vector<Tensor> slice(const OpContext& ctx) {
  const Tensor& x = ctx.in(0);
  const Shape& in = x.shape();
  const SliceArgs a = slice_args(ctx, static_cast<int64_t>(in.size()));
  const std::vector<int64_t> st = strides_of(in);
  Shape out = in;
  std::vector<int64_t> start(in.size(), 0), step(in.size(), 1);
  for (size_t i = 0; i < a.axes.size(); ++i) {
    const int64_t d = a.axes[i], dim = in[d], s = a.steps[i];
    if (s == 0) fail("slice step is 0");
    int64_t b = a.starts[i], e = a.ends[i];
    if (b < 0) b += dim;
    if (e < 0) e += dim;
    // Clamping per the spec: [0, dim] for positive steps, [-1, dim - 1] for negative.
    b = s > 0 ? std::clamp<int64_t>(b, 0, dim) : std::clamp<int64_t>(b, 0, dim - 1);
    e = s > 0 ? std::clamp<int64_t>(e, 0, dim) : std::clamp<int64_t>(e, -1, dim - 1);
    out[d] = s > 0 ? std::max<int64_t>(0, (e - b + s - 1) / s)
                   : std::max<int64_t>(0, (b - e - s - 1) / -s);
    start[d] = b;
    step[d] = s;
  }
  std::vector<std::vector<int64_t>> tables(in.size());
  for (size_t d = 0; d < in.size(); ++d) {
    tables[d].resize(static_cast<size_t>(out[d]));
    for (int64_t i = 0; i < out[d]; ++i) tables[d][i] = (start[d] + i * step[d]) * st[d];
  }
  return {gather_by_tables(x, out, tables)};
}

// Source index of output index i on a padded axis (negative: constant).
int64_t pad_source(int64_t i, int64_t before, int64_t dim, const std::string& mode) {
  int64_t s = i - before;
  if (s >= 0 && s < dim) return s;
  if (mode == "constant") return -1;
  if (mode == "edge") return std::clamp<int64_t>(s, 0, dim - 1);
  // reflect: mirror without repeating the edge, period 2 * (dim - 1)
  if (dim == 1) return 0;
  const int64_t period = 2 * (dim - 1);
  s = ((s % period) + period) % period;
  return s < dim ? s : period - s;
}

std::vector<Tensor> pad(const OpContext& ctx) {
  const Tensor& x = ctx.in(0);
  const Shape& in = x.shape();
  const size_t rank = in.size();
  const std::string mode = ctx.s("mode", "constant");
  if (mode != "constant" && mode != "reflect" && mode != "edge")
    fail("mode '" + mode + "' is not supported");
  std::vector<int64_t> pads;
  Tensor fill(x.dtype(), {});
  if (ctx.opset() < 11) {
    pads = ctx.ints("pads");
    const float v = ctx.f("value", 0.f);
    require_dtype(x, {DType::kFloat32}, "input (Pad before opset 11)");
    fill.as<float>()[0] = v;
  } else {
    pads = read_ints(ctx.in(1), "pads");
    if (ctx.has(2) && ctx.in(2).size() > 0) {
      const Tensor& c = ctx.in(2);
      if (c.dtype() != x.dtype()) fail("constant_value has a different dtype than the data");
      std::memcpy(fill.raw().data(), c.raw().data(), dtype_size(x.dtype()));
    }
  }
  if (pads.size() != 2 * rank)
    fail("pads has " + std::to_string(pads.size()) + " values, expected " +
         std::to_string(2 * rank));
  const std::vector<int64_t> st = strides_of(in);
  Shape out(rank);
  std::vector<std::vector<int64_t>> tables(rank);
  for (size_t d = 0; d < rank; ++d) {
    out[d] = in[d] + pads[d] + pads[rank + d];
    if (out[d] < 0) fail("pads shrink axis " + std::to_string(d) + " below zero");
    if (mode != "constant" && in[d] == 0 && out[d] > 0) fail(mode + " padding of an empty axis");
    for (int64_t i = 0; i < out[d]; ++i) {
      const int64_t s = pad_source(i, pads[d], in[d], mode);
      tables[d].push_back(s < 0 ? -1 : s * st[d]);
    }
  }
  return {gather_by_tables(x, out, tables, &fill)};
}

// Expand: bidirectional broadcast of the input to `shape`.
std::vector<Tensor> expand(const OpContext& ctx) {
  const Tensor& x = ctx.in(0);
  const Shape out = broadcast_shapes(x.shape(), read_ints(ctx.in(1), "shape"));
  const std::vector<int64_t> st = broadcast_strides(x.shape(), out);
  std::vector<std::vector<int64_t>> tables;
  for (size_t d = 0; d < out.size(); ++d) tables.push_back(iota_table(out[d], st[d]));
  return {gather_by_tables(x, out, tables)};
}

std::vector<Tensor> tile(const OpContext& ctx) {
  const Tensor& x = ctx.in(0);
  const std::vector<int64_t> reps = read_ints(ctx.in(1), "repeats");
  if (reps.size() != x.shape().size()) fail("repeats does not match the input rank");
  const std::vector<int64_t> st = strides_of(x.shape());
  Shape out = x.shape();
  std::vector<std::vector<int64_t>> tables(out.size());
  for (size_t d = 0; d < out.size(); ++d) {
    if (reps[d] < 0) fail("repeats must not be negative");
    out[d] *= reps[d];
    for (int64_t i = 0; i < out[d]; ++i) tables[d].push_back((i % x.shape()[d]) * st[d]);
  }
  return {gather_by_tables(x, out, tables)};
}

std::vector<Tensor> concat(const OpContext& ctx) {
  if (ctx.input_count() == 0) fail("needs at least one input");
  const Tensor& first = ctx.in(0);
  const auto rank = static_cast<int64_t>(first.shape().size());
  const int64_t axis = normalize_axis(ctx.i("axis", 0), rank);
  Shape out = first.shape();
  out[axis] = 0;
  for (size_t i = 0; i < ctx.input_count(); ++i) {
    const Tensor& t = ctx.in(i);
    if (t.dtype() != first.dtype() || static_cast<int64_t>(t.shape().size()) != rank)
      fail("input " + std::to_string(i) + " (" + std::string(dtype_name(t.dtype())) + " " +
           shape_string(t.shape()) + ") does not match input 0 (" +
           std::string(dtype_name(first.dtype())) + " " + shape_string(first.shape()) + ")");
    out[axis] += t.shape()[axis];
    for (int64_t d = 0; d < rank; ++d)
      if (d != axis && t.shape()[d] != first.shape()[d])
        fail("input " + std::to_string(i) + " has shape " + shape_string(t.shape()) +
             ", input 0 has " + shape_string(first.shape()) + " (axis " + std::to_string(axis) +
             ")");
  }
  Tensor y(first.dtype(), out);
  const size_t es = dtype_size(first.dtype());
  const int64_t outer = product(out, 0, static_cast<size_t>(axis));
  const int64_t inner = product(out, static_cast<size_t>(axis) + 1, out.size());
  size_t offset = 0;  // bytes into one outer row of the output
  const size_t out_row = static_cast<size_t>(out[axis] * inner) * es;
  for (size_t i = 0; i < ctx.input_count(); ++i) {
    const Tensor& t = ctx.in(i);
    const size_t row = static_cast<size_t>(t.shape()[axis] * inner) * es;
    for (int64_t o = 0; o < outer; ++o)
      if (row) std::memcpy(y.raw().data() + o * out_row + offset, t.raw().data() + o * row, row);
    offset += row;
  }
  return {std::move(y)};
}

std::vector<Tensor> split(const OpContext& ctx) {
  const Tensor& x = ctx.in(0);
  const auto rank = static_cast<int64_t>(x.shape().size());
  const int64_t axis = normalize_axis(ctx.i("axis", 0), rank);
  const auto n = static_cast<int64_t>(ctx.output_count());
  std::vector<int64_t> parts;
  if (ctx.opset() < 13)
    parts = ctx.ints("split");
  else if (ctx.has(1))
    parts = read_ints(ctx.in(1), "split");
  const int64_t dim = x.shape()[axis];
  if (parts.empty()) {
    if (n < 1 || dim % n) fail("axis of " + std::to_string(dim) + " does not split evenly");
    parts.assign(static_cast<size_t>(n), dim / n);
  }
  if (static_cast<int64_t>(parts.size()) != n ||
      std::accumulate(parts.begin(), parts.end(), int64_t{0}) != dim)
    fail("split sizes do not add up to the axis (" + std::to_string(dim) + ") over " +
         std::to_string(n) + " outputs");
  const std::vector<int64_t> st = strides_of(x.shape());
  std::vector<Tensor> out;
  int64_t start = 0;
  for (int64_t len : parts) {
    Shape s = x.shape();
    s[axis] = len;
    std::vector<std::vector<int64_t>> tables(s.size());
    for (int64_t d = 0; d < rank; ++d) tables[d] = iota_table(s[d], st[d]);
    for (int64_t& v : tables[axis]) v += start * st[axis];
    out.push_back(gather_by_tables(x, s, tables));
    start += len;
  }
  return out;
}

std::vector<Tensor> gather(const OpContext& ctx) {
  const Tensor &x = ctx.in(0), &ind = ctx.in(1);
  const auto rank = static_cast<int64_t>(x.shape().size());
  const int64_t axis = normalize_axis(ctx.i("axis", 0), rank);
  const std::vector<int64_t> idx = read_ints(ind, "indices");
  const int64_t dim = x.shape()[axis];
  Shape out(x.shape().begin(), x.shape().begin() + axis);
  out.insert(out.end(), ind.shape().begin(), ind.shape().end());
  out.insert(out.end(), x.shape().begin() + axis + 1, x.shape().end());
  Tensor y(x.dtype(), out);
  const size_t es = dtype_size(x.dtype());
  const int64_t outer = product(x.shape(), 0, static_cast<size_t>(axis));
  const size_t block = static_cast<size_t>(product(x.shape(), axis + 1, x.shape().size())) * es;
  uint8_t* dst = y.raw().data();
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j : idx) {
      if (j < -dim || j >= dim)
        fail("index " + std::to_string(j) + " is out of range for axis of " + std::to_string(dim));
      const int64_t k = j < 0 ? j + dim : j;
      if (block) std::memcpy(dst, x.raw().data() + (o * dim + k) * block, block);
      dst += block;
    }
  return {std::move(y)};
}

}  // namespace

void register_layout_ops(Registry& r) {
  r["Transpose"] = transpose;
  r["Slice"] = slice;
  r["Pad"] = pad;
  r["Expand"] = expand;
  r["Tile"] = tile;
  r["Concat"] = concat;
  r["Split"] = split;
  r["Gather"] = gather;
}

}  // namespace npusim::compiler::ops
