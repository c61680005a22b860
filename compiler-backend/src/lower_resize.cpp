// QDQ nearest-neighbour or bilinear Resize -> QResize (npu_ops.hpp), as
// vec.resize does it:
//   DequantizeLinear -> Resize(mode=nearest|linear) -> QuantizeLinear
// (the 2x upsampling of YOLOv8 and PP-OCR det). The device computes source
// coordinates from the sizes (out/in), so given scales must equal out/in.
// Bilinear interpolates the input's codes (the zero point cancels), so a
// different output quantisation is a table after it.
#include <map>

#include "npu_ops/resize.hpp"
#include "npusim/isa/kernels.hpp"
#include "qdq_match.hpp"

namespace npusim::compiler::lowering {
namespace {

int64_t code_of(const std::map<std::string, int64_t>& codes, const std::string& name) {
  auto it = codes.find(name);
  return it == codes.end() ? -1 : it->second;
}

// Why the Resize is outside what vec.resize does in nearest mode, or "".
std::string unsupported(const Graph& g, const Node& n, const Shape& in, const Shape& out) {
  if (g.opset < 11) return "Resize before opset 11 ('simple' nearest) is not supported";
  const std::string mode = n.s("mode", "nearest");
  if (mode != "nearest" && mode != "linear") return "cubic resizing runs on the CPU";
  if (n.i("antialias", 0) != 0) return "antialias is not supported";
  if (in.size() != 4 || out.size() != 4 || in[0] != out[0] || in[1] != out[1])
    return "only 4-D resizing of H and W runs on the NPU";
  if (out[2] > 65535 || out[3] > 65535) return "output above vec.resize's 16-bit size";
  const std::string scales = opt_in(n, 2);
  if (!scales.empty() && g.is_constant(scales) && g.value(scales).constant->size() == 4) {
    const Tensor& s = *g.value(scales).constant;
    for (int d = 0; d < 4; ++d)
      if (double(static_cast<float>(s.at(d))) * double(in[d]) != double(out[d]))
        return "scales do not give the output size exactly (the device uses out/in)";
  } else if (opt_in(n, 3).empty() || !g.is_constant(opt_in(n, 3))) {
    return "scales or sizes are not constant";
  }
  return "";
}

}  // namespace

std::optional<Rewrite> match_resize(const Graph& g, const Node& n, Notes& notes) {
  auto reject = [&](const std::string& why) {
    notes[n.describe()] = why;
    return std::nullopt;
  };
  std::string why;
  auto m = unary_qdq_rewrite(g, n, "QResize", why);
  if (!m) return reject(why);
  const Value& xv = g.value(n.inputs[0]);
  const Value& yv = g.value(n.outputs[0]);
  if (!xv.rank_known || !yv.rank_known) return reject("shapes unknown");
  why = unsupported(g, n, xv.shape, yv.shape);
  if (!why.empty()) return reject(why);
  static const std::map<std::string, int64_t> coords = {
      {"asymmetric", 0}, {"half_pixel", 1}, {"align_corners", 2}, {"pytorch_half_pixel", 3}};
  static const std::map<std::string, int64_t> roundings = {
      {"floor", 0}, {"round_prefer_floor", 1}, {"round_prefer_ceil", 2}, {"ceil", 3}};
  const std::string coord = n.s("coordinate_transformation_mode", "half_pixel");
  const std::string rounding = n.s("nearest_mode", "round_prefer_floor");
  if (code_of(coords, coord) < 0) return reject("coordinate mode " + coord + " is not supported");
  if (code_of(roundings, rounding) < 0) return reject("nearest_mode " + rounding + " unsupported");
  Rewrite& r = m->rewrite;
  update_attrs<QResizeAttrs>(r.node, [&](QResizeAttrs& a) {
    a.out_hw = {yv.shape[2], yv.shape[3]};
    a.mode = n.s("mode", "nearest") == "linear" ? isa::kernels::kResizeBilinear
                                                : code_of(roundings, rounding);
    a.coord_mode = code_of(coords, coord);
    if (!same_quant(m->x, m->y)) a.table.table = requant_table(m->x, m->y);
  });
  return r;
}

}  // namespace npusim::compiler::lowering
