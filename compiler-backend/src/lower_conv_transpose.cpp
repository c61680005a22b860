// QDQ ConvTranspose -> QPad + QConv (npu_ops.hpp). A transposed convolution
// with stride s, pads p, dilation d and kernel k is a convolution with stride
// 1 over its input spread out by s (s - 1 zero-point codes between
// neighbours: QPad's interior padding) and padded by d * (k - 1) - p (plus
// output_padding at the end), with the kernel flipped in H and W and its
// input and output channels swapped. Group 1 only.
#include <algorithm>

#include "npu_ops/pad.hpp"
#include "qdq_match.hpp"

namespace npusim::compiler::lowering {
namespace {

// Weights [C_in, C_out, kH, kW] -> [C_out, C_in, kH, kW], flipped in H and W.
Tensor flipped_weights(const Tensor& w) {
  const Shape& s = w.shape();
  const int64_t ci = s[0], co = s[1], kh = s[2], kw = s[3];
  Tensor t(w.dtype(), {co, ci, kh, kw});
  const size_t e = dtype_size(w.dtype());
  for (int64_t i = 0; i < ci; ++i)
    for (int64_t o = 0; o < co; ++o)
      for (int64_t y = 0; y < kh; ++y)
        for (int64_t x = 0; x < kw; ++x) {
          const int64_t from = ((i * co + o) * kh + y) * kw + x;
          const int64_t to = ((o * ci + i) * kh + (kh - 1 - y)) * kw + (kw - 1 - x);
          std::copy_n(w.raw().data() + from * e, e, t.raw().data() + to * e);
        }
  return t;
}

// Why the ConvTranspose's attributes are outside this lowering, or "".
std::string unsupported(const Node& n, const Shape& w) {
  if (w.size() != 4) return "only 2-D transposed convolutions run on the NPU";
  if (n.i("group", 1) != 1) return "grouped transposed convolutions run on the CPU";
  const std::string pad = n.s("auto_pad", "NOTSET");
  if (pad != "NOTSET" && pad != "VALID" && pad != "SAME_UPPER" && pad != "SAME_LOWER")
    return "auto_pad " + pad + " is not supported";
  return "";
}

// The pads (begins, then ends) of a 2-D ConvTranspose: its pads attribute, or
// with output_shape or auto_pad SAME_* the ONNX rule the reference executor
// follows (ops/conv.cpp): the total is the full result minus the output
// size, the odd pad at the end except for SAME_LOWER; negative where the
// output extends beyond the full result.
std::vector<int64_t> transpose_pads(const Node& n, const Shape& x, const std::vector<int64_t>& k) {
  const std::string mode = n.s("auto_pad", "NOTSET");
  std::vector<int64_t> shape = n.ints("output_shape");
  if (shape.size() == 4) shape.erase(shape.begin(), shape.begin() + 2);
  const bool same = mode == "SAME_UPPER" || mode == "SAME_LOWER";
  if (shape.size() != 2 && !same) return n.ints("pads", {0, 0, 0, 0});
  const auto s = n.ints("strides", {1, 1}), d = n.ints("dilations", {1, 1});
  const auto op = n.ints("output_padding", {0, 0});
  std::vector<int64_t> p(4);
  for (int a = 0; a < 2; ++a) {
    const int64_t full = s[a] * (x[2 + a] - 1) + op[a] + (k[a] - 1) * d[a] + 1;
    const int64_t total = full - (shape.size() == 2 ? shape[a] : x[2 + a] * s[a]);
    p[a] = mode == "SAME_LOWER" ? total - total / 2 : total / 2;
    p[2 + a] = total - p[a];
  }
  return p;
}

}  // namespace

std::optional<Rewrite> match_conv_transpose(const Graph& g, const Node& n, Notes& notes) {
  auto reject = [&](const std::string& why) {
    notes[n.describe()] = why;
    return std::nullopt;
  };
  std::string why;
  auto m = match_qdq_conv(g, n, why);
  if (!m) return reject(why);
  why = unsupported(n, m->w_shape);
  if (!why.empty()) return reject(why);
  const Value& xv = g.value(m->x);
  if (!xv.rank_known || xv.shape.size() != 4) return reject("input shape unknown");
  const std::vector<int64_t> k{m->w_shape[2], m->w_shape[3]};
  const auto s = n.ints("strides", {1, 1}), d = n.ints("dilations", {1, 1});
  const auto p = transpose_pads(n, xv.shape, k), op = n.ints("output_padding", {0, 0});
  std::vector<int64_t> pads(8, 0), interior{0, 0, s[0] - 1, s[1] - 1};
  Shape spread = xv.shape;
  for (int a = 0; a < 2; ++a) {
    const int64_t full = d[a] * (k[a] - 1);
    pads[2 + a] = full - p[a];
    pads[6 + a] = full - p[2 + a] + op[a];
    if (pads[2 + a] < 0 || pads[6 + a] < 0) return reject("pads larger than the kernel's reach");
    spread[2 + a] =
        xv.shape[2 + a] + (xv.shape[2 + a] - 1) * interior[2 + a] + pads[2 + a] + pads[6 + a];
  }
  // The spread-out input: QPad with the input's zero point between the pixels.
  Node spread_node = npu_node("QPad", n);
  const std::string spread_name = m->y + "/spread";
  spread_node.name = n.name.empty() ? spread_name : n.name + "/spread";
  spread_node.inputs = {m->x};
  spread_node.outputs = {spread_name};
  QPadAttrs spread_attrs;
  spread_attrs.pads = pads;
  spread_attrs.interior = interior;
  spread_attrs.pad_code = m->xq.zero_points[0];
  write_attrs(spread_node, spread_attrs);
  set_output_attrs(spread_node, m->xq);
  Value spread_value;
  spread_value.name = spread_name;
  spread_value.dtype = xv.dtype;
  spread_value.shape = spread;
  spread_value.rank_known = true;
  // The convolution over it: stride 1, no pads, the dilation, flipped weights.
  Node conv = n;
  conv.op = "Conv";
  conv.attrs = {{"dilations", d}, {"group", int64_t(1)}};
  const std::string w = m->y + "/weights";
  ConvMatch c = *m;
  c.conv = &conv;
  c.x = spread_name;
  c.w = w;
  c.w_shape = {m->w_shape[1], m->w_shape[0], k[0], k[1]};
  Rewrite r = conv_rewrite(c);
  r.constants.emplace_back(w, flipped_weights(*g.value(m->w).constant));
  r.before.push_back(spread_node);
  r.values.push_back(spread_value);
  return r;
}

}  // namespace npusim::compiler::lowering
