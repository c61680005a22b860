#include "boundary_segment.hpp"

#include <algorithm>

#include "npusim/isa/int8.hpp"

namespace npusim::runtime {
namespace {

using compiler::DType;
using compiler::Graph;
using compiler::Tensor;

bool is_8bit(DType t) {
  return t == DType::kInt8 || t == DType::kUint8;
}

// A constant of one element of the given type, or null.
const Tensor* one_constant(const Graph& g, const std::string& name, DType want) {
  if (name.empty() || !g.has_value(name) || !g.value(name).constant) return nullptr;
  const Tensor& t = *g.value(name).constant;
  return t.dtype() == want && t.size() == 1 ? &t : nullptr;
}

}  // namespace

std::optional<BoundarySegment> BoundarySegment::plan(const Graph& g) {
  BoundarySegment seg;
  for (const compiler::Node& n : g.nodes) {
    const bool q = n.op == "QuantizeLinear", dq = n.op == "DequantizeLinear";
    if ((!q && !dq) || (n.domain != "" && n.domain != "ai.onnx") || n.outputs.size() != 1 ||
        n.inputs.size() < 2 || n.inputs.size() > 3 || n.inputs[0].empty())
      return std::nullopt;
    Step s;
    s.quantize = q;
    s.input = n.inputs[0];
    s.output = n.outputs[0];
    const Tensor* scale = one_constant(g, n.inputs[1], DType::kFloat32);
    if (!scale) return std::nullopt;
    s.scale = scale->as<float>()[0];
    const std::string zp = n.inputs.size() == 3 ? n.inputs[2] : "";
    if (zp.empty()) {
      if (dq) return std::nullopt;  // the type of a DequantizeLinear input is the zero point's
      s.dtype = DType::kUint8;      // QuantizeLinear's default output type
    } else {
      const Tensor* z = g.has_value(zp) && g.value(zp).constant ? &*g.value(zp).constant : nullptr;
      if (!z || !is_8bit(z->dtype()) || z->size() != 1) return std::nullopt;
      s.dtype = z->dtype();
      s.zero_point = static_cast<int32_t>(z->int_at(0));
    }
    seg.steps_.push_back(std::move(s));
  }
  seg.outputs_ = g.outputs;
  return seg;
}

bool BoundarySegment::accepts(const compiler::TensorMap& env) const {
  for (const Step& s : steps_) {
    const auto it = env.find(s.input);
    if (it == env.end()) continue;  // produced by an earlier step
    if (it->second.dtype() != (s.quantize ? DType::kFloat32 : s.dtype)) return false;
  }
  return true;
}

void BoundarySegment::run(compiler::TensorMap& env) const {
  compiler::TensorMap made;  // every step's output; the graph outputs go to env
  for (const Step& s : steps_) {
    const auto mine = made.find(s.input);
    const Tensor& x = mine != made.end() ? mine->second : env.at(s.input);
    const bool is_signed = s.dtype == DType::kInt8;
    if (s.quantize) {
      Tensor y(s.dtype, x.shape());
      isa::quantize_linear(x.as<float>().data(), x.size(), s.scale, s.zero_point, is_signed,
                           y.raw().data());
      made[s.output] = std::move(y);
    } else {
      Tensor y(DType::kFloat32, x.shape());
      isa::dequantize_linear(x.raw().data(), x.size(), is_signed, s.scale, s.zero_point,
                             y.as<float>().data());
      made[s.output] = std::move(y);
    }
  }
  for (auto& [name, value] : made)
    if (std::find(outputs_.begin(), outputs_.end(), name) != outputs_.end())
      env[name] = std::move(value);
}

}  // namespace npusim::runtime
