// QDQ pooling -> QPool (npu_ops.hpp), 2-D, as vec.pool executes it:
//   DequantizeLinear -> MaxPool | AveragePool | GlobalAveragePool -> QuantizeLinear
// Max commutes with the (monotonic) requantisation, so a MaxPool whose output
// scale differs from its input's is pooled on the codes and requantised by a
// table. Average pooling divides the zero-point corrected window sum inside
// one exact requantisation (docs/int8.md).
#include <stdexcept>

#include "npu_ops/pool.hpp"
#include "npusim/isa/int8.hpp"
#include "qdq_match.hpp"

namespace npusim::compiler::lowering {
namespace {

struct Window {
  std::vector<int64_t> kernel, strides, pads;  // pads t, l, b, r
};

int64_t floor_out(int64_t in, int64_t pb, int64_t pe, int64_t k, int64_t s) {
  return (in + pb + pe - k) / s + 1;
}

// The window of a MaxPool / AveragePool node; auto_pad resolved into pads;
// ceil_mode becomes extra end padding (windows the device then sees partly
// outside the input). Sets `why` when the node is outside what vec.pool does.
std::optional<Window> read_window(const Graph& g, const Node& n, const Shape& in, const Shape& out,
                                  std::string& why) {
  Window w;
  w.kernel = n.ints("kernel_shape");
  w.strides = n.ints("strides", {1, 1});
  w.pads = n.ints("pads", {0, 0, 0, 0});
  const std::vector<int64_t> resolved = resolved_pads(g, n, n.inputs[0], w.kernel, why);
  if (!resolved.empty()) w.pads = resolved;
  if (!why.empty()) return std::nullopt;  // auto_pad could not be resolved
  if (w.kernel.size() != 2 || w.strides.size() != 2 || w.pads.size() != 4)
    why = "only 2-D pooling runs on the NPU";
  else if (n.ints("dilations", {1, 1}) != std::vector<int64_t>{1, 1})
    why = "dilated pooling is not supported by vec.pool";
  else if (n.outputs.size() > 1 && !n.outputs[1].empty())
    why = "the Indices output is not supported";
  if (!why.empty()) return std::nullopt;
  for (int d = 0; d < 2; ++d) {
    const int64_t fl = floor_out(in[2 + d], w.pads[d], w.pads[2 + d], w.kernel[d], w.strides[d]);
    if (out[2 + d] < fl || out[2 + d] > fl + 1) {
      why = "output size does not follow from the window";
      return std::nullopt;
    }
    if (out[2 + d] > fl) {  // ceil_mode: the last window starts inside, ends outside
      w.pads[2 + d] += w.strides[d];
      if (n.op == "AveragePool" && n.i("count_include_pad", 0) != 0) {
        why = "ceil_mode with count_include_pad divides by a partial window count";
        return std::nullopt;
      }
    }
  }
  for (const auto& list : {w.kernel, w.strides, w.pads})
    for (const int64_t v : list)
      if (v < 0 || v > 255) {
        why = "window, stride or padding above vec.pool's 8-bit limit of 255";
        return std::nullopt;
      }
  return w;
}

}  // namespace

std::optional<Rewrite> match_pool(const Graph& g, const Node& n, Notes& notes) {
  auto reject = [&](const std::string& why) {
    notes[n.describe()] = why;
    return std::nullopt;
  };
  std::string why;
  auto m = unary_qdq_rewrite(g, n, "QPool", why);
  if (!m) return reject(why);
  const Quant &x = m->x, &y = m->y;
  const Value& xv = g.value(n.inputs[0]);
  const Value& yv = g.value(n.outputs[0]);
  if (!xv.rank_known || xv.shape.size() != 4 || !yv.rank_known || yv.shape.size() != 4)
    return reject("only 4-D (NCHW) tensors of known shape run on the NPU");
  std::optional<Window> w;
  if (n.op == "GlobalAveragePool")
    w = Window{{xv.shape[2], xv.shape[3]}, {1, 1}, {0, 0, 0, 0}};
  else
    w = read_window(g, n, xv.shape, yv.shape, why);
  if (!w) return reject(why);
  if (w->kernel[0] > 255 || w->kernel[1] > 255) return reject("window above 255 pixels");
  Rewrite& r = m->rewrite;
  auto a = read_attrs<QPoolAttrs>(r.node);
  a.kernel_shape = w->kernel;
  a.strides = w->strides;
  a.pads = w->pads;
  a.x_zp = x.zero_points[0];
  if (n.op == "MaxPool") {
    a.mode = QPoolAttrs::kMax;
    if (!same_quant(x, y)) a.table.table = requant_table(x, y);
    write_attrs(r.node, a);
    return r;
  }
  if (x.is_signed != y.is_signed)
    return reject("average pooling keeps the input's 8-bit type; the output has the other one");
  a.mode = QPoolAttrs::kAverage;
  a.count_pad = n.i("count_include_pad", 0) != 0;
  try {
    const auto m = isa::quantize_multiplier(double(x.scales[0]) / y.scales[0]);
    a.mult = m.mult;
    a.shift = m.shift;
    write_attrs(r.node, a);
  } catch (const std::invalid_argument& e) {
    return reject(std::string("scale ratio outside the multiplier's range: ") + e.what());
  }
  return r;
}

}  // namespace npusim::compiler::lowering
