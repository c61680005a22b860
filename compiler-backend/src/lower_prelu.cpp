// PRelu whose slope is a constant tensor (one slope per channel, or any shape
// that broadcasts to x), between DequantizeLinear and QuantizeLinear -> QLut
// with one table per slope element (attribute table_shape). A scalar slope is
// an ordinary activation table (lower_lut.cpp).
#include "npu_ops/lut.hpp"
#include "npusim/isa/int8.hpp"
#include "qdq_match.hpp"

namespace npusim::compiler::lowering {
namespace {

// Tables beyond this many (256 bytes each in SRAM) leave the PRelu on the CPU.
constexpr int64_t kMaxTables = 4096;

// The slope's float values: a float constant, or a DequantizeLinear of a
// per-tensor quantised constant (as ONNX Runtime's quantiser writes it).
std::optional<Tensor> slope_values(const Graph& g, const std::string& s, std::string& why) {
  if (g.is_constant(s)) {
    const Tensor& t = *g.value(s).constant;
    if (t.dtype() == DType::kFloat32) return t;
  }
  const Node* dq = producer_node(g, s, "DequantizeLinear");
  if (dq && g.is_constant(dq->inputs[0])) {
    const Tensor& q = *g.value(dq->inputs[0]).constant;
    const auto quant = quant_from(g, dq->inputs[1], opt_in(*dq, 2), q.dtype());
    if (quant && per_tensor(*quant)) {
      std::vector<float> v(size_t(q.size()));
      for (int64_t i = 0; i < q.size(); ++i)
        v[i] = isa::dequantize_linear(int32_t(q.at(i)), quant->scales[0], quant->zero_points[0]);
      return Tensor::from(DType::kFloat32, q.shape(), v);
    }
  }
  why = "slope is not a float constant or a per-tensor DequantizeLinear of one";
  return std::nullopt;
}

// table[256 k + byte] = Q_y(PRelu(DQ_x(code), slope[k])), in float as ONNX computes it.
std::vector<int64_t> prelu_tables(const Tensor& slope, const Quant& x, const Quant& y) {
  std::vector<int64_t> t(size_t(256 * slope.size()));
  for (int64_t k = 0; k < slope.size(); ++k) {
    const float s = static_cast<float>(slope.at(k));
    for (int32_t code = isa::qmin(x.is_signed); code <= isa::qmax(x.is_signed); ++code) {
      const float v = isa::dequantize_linear(code, x.scales[0], x.zero_points[0]);
      const float r = v < 0 ? s * v : v;
      const int32_t q = isa::quantize_linear(r, y.scales[0], y.zero_points[0], y.is_signed);
      t[size_t(256 * k + uint8_t(code))] = uint8_t(q);
    }
  }
  return t;
}

// The slope's shape left-padded with 1s to x's rank, if it broadcasts to x.
std::optional<Shape> table_shape(const Shape& slope, const Shape& x) {
  if (slope.size() > x.size()) return std::nullopt;
  Shape s(x.size() - slope.size(), 1);
  s.insert(s.end(), slope.begin(), slope.end());
  for (size_t d = 0; d < x.size(); ++d)
    if (s[d] != 1 && s[d] != x[d]) return std::nullopt;
  return s;
}

}  // namespace

std::optional<Rewrite> match_prelu(const Graph& g, const Node& n, Notes& notes) {
  auto reject = [&](const std::string& why) {
    notes[n.describe()] = why;
    return std::nullopt;
  };
  std::string why;
  auto m = unary_qdq_rewrite(g, n, "QLut", why);
  if (!m) return reject(why);
  if (n.inputs.size() < 2) return reject("PRelu without a slope input");
  const auto slope = slope_values(g, n.inputs[1], why);
  if (!slope) return reject(why);
  const Value& x = g.value(n.inputs[0]);
  if (!x.rank_known) return reject("input shape unknown");
  const auto shape = table_shape(slope->shape(), x.shape);
  if (!shape) return reject("slope does not broadcast to the input's shape");
  if (element_count(*shape) > kMaxTables)
    return reject("slope has " + std::to_string(element_count(*shape)) + " elements (at most " +
                  std::to_string(kMaxTables) + " tables)");
  update_attrs<QLutAttrs>(m->rewrite.node, [&](QLutAttrs& a) {
    a.lut.table = prelu_tables(*slope, m->x, m->y);
    a.table_shape = *shape;
  });
  return m->rewrite;
}

}  // namespace npusim::compiler::lowering
