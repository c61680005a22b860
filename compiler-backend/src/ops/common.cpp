// Helpers shared by the op families: context, checks, broadcasting,
// index-table gathers and sliding-window geometry.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <variant>

#include "kernel.hpp"
#include "npusim/isa/int8.hpp"

namespace npusim::compiler::ops {

void fail(const std::string& why) {
  throw CompileError(why);
}

const Tensor& OpContext::in(size_t i) const {
  if (!has(i)) {
    const std::string name = i < node_.inputs.size() ? " (\"" + node_.inputs[i] + "\")" : "";
    fail("required input " + std::to_string(i) + name + " is missing");
  }
  return *inputs_[i];
}

namespace {
// Attribute `a` of type T, or `fallback`; a wrong type is an error, not a crash.
template <typename T>
T attr(const Node& n, const std::string& a, T fallback) {
  auto it = n.attrs.find(a);
  if (it == n.attrs.end()) return fallback;
  if (const T* v = std::get_if<T>(&it->second)) return *v;
  fail("attribute '" + a + "' has an unexpected type");
}
}  // namespace

int64_t OpContext::i(const std::string& a, int64_t fallback) const {
  return attr<int64_t>(node_, a, fallback);
}
float OpContext::f(const std::string& a, float fallback) const {
  return attr<float>(node_, a, fallback);
}
std::string OpContext::s(const std::string& a, const std::string& fallback) const {
  return attr<std::string>(node_, a, fallback);
}
std::vector<int64_t> OpContext::ints(const std::string& a, std::vector<int64_t> fallback) const {
  return attr<std::vector<int64_t>>(node_, a, std::move(fallback));
}
const Tensor* OpContext::tensor(const std::string& a) const {
  auto it = node_.attrs.find(a);
  if (it == node_.attrs.end()) return nullptr;
  if (const Tensor* t = std::get_if<Tensor>(&it->second)) return t;
  fail("attribute '" + a + "' has an unexpected type (expected a tensor)");
}
std::vector<float> OpContext::floats(const std::string& a, std::vector<float> fallback) const {
  return attr<std::vector<float>>(node_, a, std::move(fallback));
}

void require_dtype(const Tensor& t, std::initializer_list<DType> allowed, const std::string& what) {
  std::string names;
  for (DType d : allowed) {
    if (d == t.dtype()) return;
    names += (names.empty() ? "" : "/") + std::string(dtype_name(d));
  }
  fail(what + " has dtype " + std::string(dtype_name(t.dtype())) + " (expected " + names + ")");
}

void require_rank(const Tensor& t, size_t min_rank, size_t max_rank, const std::string& what) {
  const size_t r = t.shape().size();
  if (r >= min_rank && r <= max_rank) return;
  const std::string want = min_rank == max_rank
                               ? std::to_string(min_rank)
                               : std::to_string(min_rank) + ".." + std::to_string(max_rank);
  fail(what + " has rank " + std::to_string(r) + " (shape " + shape_string(t.shape()) +
       "), expected rank " + want);
}

int64_t normalize_axis(int64_t axis, int64_t rank, const std::string& what) {
  if (axis < -rank || axis >= rank)
    fail(what + " " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
  return axis < 0 ? axis + rank : axis;
}

std::vector<int64_t> read_ints(const Tensor& t, const std::string& what) {
  require_dtype(t, {DType::kInt64, DType::kInt32}, what);
  std::vector<int64_t> v(static_cast<size_t>(t.size()));
  for (size_t i = 0; i < v.size(); ++i) v[i] = t.int_at(static_cast<int64_t>(i));
  return v;
}

std::vector<float> read_floats(const Tensor& t, const std::string& what) {
  require_dtype(t, {DType::kFloat32}, what);
  auto s = t.as<float>();
  return {s.begin(), s.end()};
}

double read_scalar(const Tensor& t, const std::string& what) {
  if (t.size() != 1) fail(what + " must have one element, has shape " + shape_string(t.shape()));
  return t.at(0);
}

std::vector<int64_t> strides_of(const Shape& s) {
  std::vector<int64_t> st(s.size(), 1);
  for (int64_t d = static_cast<int64_t>(s.size()) - 2; d >= 0; --d) st[d] = st[d + 1] * s[d + 1];
  return st;
}

int64_t product(const Shape& s, size_t begin, size_t end) {
  int64_t p = 1;
  for (size_t i = begin; i < end && i < s.size(); ++i) p *= s[i];
  return p;
}

std::vector<int32_t> zero_points(const OpContext& ctx, size_t index, int64_t count,
                                 const std::string& what) {
  std::vector<int32_t> zp(static_cast<size_t>(count), 0);
  if (!ctx.has(index)) return zp;
  const Tensor& t = ctx.in(index);
  require_dtype(t, {DType::kInt8, DType::kUint8}, what);
  if (t.size() != 1 && t.size() != count)
    fail(what + " has shape " + shape_string(t.shape()) + ", expected one value or " +
         std::to_string(count));
  for (int64_t i = 0; i < count; ++i) zp[i] = static_cast<int32_t>(t.int_at(t.size() == 1 ? 0 : i));
  return zp;
}

Tensor requantize_float(const Tensor& acc, const std::function<float(int64_t)>& scale_of,
                        int32_t zp, DType zp_type) {
  const bool is_signed = zp_type == DType::kInt8;
  const auto lo = static_cast<float>(isa::qmin(is_signed));
  const auto hi = static_cast<float>(isa::qmax(is_signed));
  Tensor y(zp_type, acc.shape());
  auto a = acc.as<int32_t>();
  for (int64_t i = 0; i < y.size(); ++i) {
    const float v = std::nearbyint(static_cast<float>(a[i]) * scale_of(i)) + static_cast<float>(zp);
    const auto q = static_cast<int32_t>(std::clamp(v, lo, hi));
    if (is_signed)
      y.as<int8_t>()[i] = static_cast<int8_t>(q);
    else
      y.as<uint8_t>()[i] = static_cast<uint8_t>(q);
  }
  return y;
}

Shape broadcast_shapes(const Shape& a, const Shape& b) {
  const size_t r = std::max(a.size(), b.size());
  Shape out(r);
  for (size_t i = 0; i < r; ++i) {
    const int64_t da = i < r - a.size() ? 1 : a[i - (r - a.size())];
    const int64_t db = i < r - b.size() ? 1 : b[i - (r - b.size())];
    if (da != db && da != 1 && db != 1)
      fail("shapes " + shape_string(a) + " and " + shape_string(b) + " do not broadcast");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

std::vector<int64_t> broadcast_strides(const Shape& in, const Shape& out) {
  if (in.size() > out.size())
    fail("shape " + shape_string(in) + " does not broadcast to " + shape_string(out));
  const std::vector<int64_t> own = strides_of(in);
  std::vector<int64_t> st(out.size(), 0);
  const size_t lead = out.size() - in.size();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != out[lead + i] && in[i] != 1)
      fail("shape " + shape_string(in) + " does not broadcast to " + shape_string(out));
    st[lead + i] = in[i] == 1 ? 0 : own[i];
  }
  return st;
}

namespace {
template <typename T>
void gather_tables_typed(const Tensor& in, Tensor& out,
                         const std::vector<std::vector<int64_t>>& tables, T fill) {
  const T* src = in.as<T>().data();
  T* dst = out.as<T>().data();
  const Shape& shape = out.shape();
  const size_t rank = shape.size();
  const int64_t total = out.size();
  if (total == 0) return;
  if (rank == 0) {
    dst[0] = src[0];
    return;
  }
  const std::vector<int64_t>& last = tables[rank - 1];
  const int64_t inner = shape[rank - 1];
  bool contiguous = true;  // the last axis copies a run: use memcpy
  for (int64_t i = 0; i < inner; ++i) contiguous = contiguous && last[i] == last[0] + i;
  contiguous = contiguous && last[0] >= 0;
  std::vector<int64_t> idx(rank, 0);
  for (int64_t o = 0; o < total; o += inner) {
    int64_t base = 0;
    bool hole = false;
    for (size_t d = 0; d + 1 < rank; ++d) {
      const int64_t t = tables[d][idx[d]];
      hole = hole || t < 0;
      base += t;
    }
    T* row = dst + o;
    if (hole) {
      std::fill(row, row + inner, fill);
    } else if (contiguous) {
      std::memcpy(row, src + base + last[0], static_cast<size_t>(inner) * sizeof(T));
    } else {
      for (int64_t i = 0; i < inner; ++i) row[i] = last[i] < 0 ? fill : src[base + last[i]];
    }
    for (int64_t d = static_cast<int64_t>(rank) - 2; d >= 0; --d) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
}
}  // namespace

Tensor gather_by_tables(const Tensor& in, const Shape& out_shape,
                        const std::vector<std::vector<int64_t>>& tables, const Tensor* fill) {
  Tensor out(in.dtype(), out_shape);
  visit_storage(in.dtype(), [&]<typename T>(Tag<T>) {
    T f{};
    if (fill) std::memcpy(&f, fill->raw().data(), sizeof(T));
    gather_tables_typed<T>(in, out, tables, f);
  });
  return out;
}

int64_t Window::kernel_size() const {
  return product(kernel, 0, kernel.size());
}
int64_t Window::out_size() const {
  return product(out, 0, out.size());
}

namespace {
// A per-spatial-axis attribute (strides, dilations): `rank` values, default 1.
std::vector<int64_t> per_axis(const OpContext& ctx, const std::string& name, size_t rank) {
  std::vector<int64_t> v = ctx.ints(name, std::vector<int64_t>(rank, 1));
  if (v.size() != rank)
    fail("attribute '" + name + "' has " + std::to_string(v.size()) + " values for " +
         std::to_string(rank) + " spatial dims");
  for (int64_t x : v)
    if (x < 1) fail("attribute '" + name + "' has a value below 1");
  return v;
}

void same_padding(Window& w, size_t d, bool upper) {
  w.out[d] = (w.in[d] + w.strides[d] - 1) / w.strides[d];
  const int64_t span = (w.kernel[d] - 1) * w.dilations[d] + 1;
  const int64_t total = std::max<int64_t>(0, (w.out[d] - 1) * w.strides[d] + span - w.in[d]);
  w.pad_begin[d] = upper ? total / 2 : total - total / 2;
  w.pad_end[d] = total - w.pad_begin[d];
}

void explicit_padding(Window& w, size_t d, bool ceil_mode) {
  const int64_t span = (w.kernel[d] - 1) * w.dilations[d] + 1;
  const int64_t room = w.in[d] + w.pad_begin[d] + w.pad_end[d] - span;
  if (room < 0)
    fail("kernel extent " + std::to_string(span) + " exceeds the padded input (" +
         std::to_string(w.in[d] + w.pad_begin[d] + w.pad_end[d]) + ") on spatial axis " +
         std::to_string(d));
  w.out[d] = (ceil_mode ? (room + w.strides[d] - 1) / w.strides[d] : room / w.strides[d]) + 1;
  // ceil_mode must not add a window that starts inside the end padding (as PyTorch).
  if (ceil_mode && (w.out[d] - 1) * w.strides[d] >= w.in[d] + w.pad_begin[d]) --w.out[d];
}
}  // namespace

Window read_window(const OpContext& ctx, const std::vector<int64_t>& in,
                   const std::vector<int64_t>& kernel, bool ceil_mode) {
  const size_t r = in.size();
  Window w;
  w.in = in;
  w.kernel = kernel;
  if (kernel.size() != r)
    fail("kernel has " + std::to_string(kernel.size()) + " dims for " + std::to_string(r) +
         " spatial dims");
  w.strides = per_axis(ctx, "strides", r);
  w.dilations = per_axis(ctx, "dilations", r);
  w.out.assign(r, 0);
  const std::string auto_pad = ctx.s("auto_pad", "NOTSET");
  const std::vector<int64_t> pads = ctx.ints("pads", std::vector<int64_t>(2 * r, 0));
  if (pads.size() != 2 * r)
    fail("attribute 'pads' has " + std::to_string(pads.size()) + " values, expected " +
         std::to_string(2 * r));
  w.pad_begin.assign(pads.begin(), pads.begin() + static_cast<int64_t>(r));
  w.pad_end.assign(pads.begin() + static_cast<int64_t>(r), pads.end());
  for (size_t d = 0; d < r; ++d) {
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      same_padding(w, d, auto_pad == "SAME_UPPER");
      continue;
    }
    if (auto_pad == "VALID") {
      w.pad_begin[d] = w.pad_end[d] = 0;
    } else if (auto_pad != "NOTSET") {
      fail("auto_pad '" + auto_pad + "' is not supported");
    }
    explicit_padding(w, d, ceil_mode);
  }
  return w;
}

MatmulPlan plan_matmul(const Shape& a_in, const Shape& b_in) {
  if (a_in.empty() || b_in.empty()) fail("MatMul operands must have rank >= 1");
  Shape a = a_in, b = b_in;
  if (a.size() == 1) a.insert(a.begin(), 1);  // numpy: 1-D a is a row vector
  if (b.size() == 1) b.push_back(1);          // 1-D b is a column vector
  MatmulPlan p;
  p.m = a[a.size() - 2];
  p.k = a.back();
  p.n = b.back();
  if (b[b.size() - 2] != p.k)
    fail("MatMul inner dims differ: " + shape_string(a_in) + " x " + shape_string(b_in));
  const Shape a_batch(a.begin(), a.end() - 2), b_batch(b.begin(), b.end() - 2);
  const Shape batch = broadcast_shapes(a_batch, b_batch);
  for_each_broadcast<2>(batch, {a_batch, b_batch}, [&](int64_t, const std::array<int64_t, 2>& o) {
    p.a_offsets.push_back(o[0] * p.m * p.k);
    p.b_offsets.push_back(o[1] * p.k * p.n);
  });
  p.out = batch;
  if (a_in.size() > 1) p.out.push_back(p.m);
  if (b_in.size() > 1) p.out.push_back(p.n);
  return p;
}

}  // namespace npusim::compiler::ops
