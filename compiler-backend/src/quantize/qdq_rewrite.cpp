// quantize_graph (quantizer.hpp): the prepared FP32 graph to QDQ form, given
// the plan and a range per activation.
#include <algorithm>
#include <cmath>
#include <optional>

#include "npusim/compiler/quantizer.hpp"
#include "npusim/isa/int8.hpp"
#include "passes.hpp"
#include "range_search.hpp"
#include "weights.hpp"

namespace npusim::compiler {
namespace {

Tensor scalar_f(float v) {
  return Tensor::from(DType::kFloat32, {}, std::vector<float>{v});
}

Tensor zero_point(DType t, int32_t zp, int64_t n = 0) {
  // n == 0: a scalar; else one (equal) value per channel.
  Tensor z(t, n == 0 ? Shape{} : Shape{n});
  for (int64_t i = 0; i < z.size(); ++i) {
    if (t == DType::kUint8) z.as<uint8_t>()[i] = static_cast<uint8_t>(zp);
    if (t == DType::kInt8) z.as<int8_t>()[i] = static_cast<int8_t>(zp);
  }
  return z;
}

class Rewriter {
 public:
  Rewriter(const Graph& g, const QuantPlan& plan, const RangeTable& ranges,
           const QuantizeOptions& options)
      : plan_(plan), ranges_(ranges), options_(options) {
    out_.graph = g;
    out_.graph.opset = std::max<int64_t>(g.opset, 13);
  }

  QuantizedModel run() {
    check_input_types();
    for (const auto& name : plan_.activations) params_[name] = params_for(name);
    for (size_t i = 0; i < g().nodes.size(); ++i) index_[g().nodes[i].outputs[0]] = i;
    for (const auto& w : plan_.weights) quantize_compute(w);
    for (const auto& c : plan_.constants) quantize_constant(c);
    for (const auto& name : plan_.activations) params_.at(name).dequantized = insert_qdq(name);
    for (const auto& name : plan_.activations) out_.activations.push_back(params_.at(name));
    g().sort();
    g().prune();  // drops the float originals of the quantised constants
    return std::move(out_);
  }

 private:
  Graph& g() { return out_.graph; }
  Node& node(const std::string& key) { return g().nodes.at(index_.at(key)); }

  void check_input_types() {
    for (const auto& [name, type] : options_.input_types) {
      if (std::find(g().inputs.begin(), g().inputs.end(), name) == g().inputs.end())
        throw CompileError("--input-type " + name + ": the model has no input named '" + name +
                           "'");
      if (type != DType::kInt8 && type != DType::kUint8)
        throw CompileError("--input-type " + name +
                           ": only int8 or uint8 inputs are supported, not " +
                           std::string(dtype_name(type)));
      if (std::find(plan_.activations.begin(), plan_.activations.end(), name) ==
          plan_.activations.end())
        throw CompileError("--input-type " + name +
                           ": the input feeds no quantised op, it stays float");
    }
  }

  ActivationQuant params_for(const std::string& name) const {
    std::string root = name;
    for (auto it = plan_.share.find(root); it != plan_.share.end(); it = plan_.share.find(root))
      root = it->second;
    auto r = ranges_.find(root);
    if (r == ranges_.end()) throw CompileError("no range for tensor '" + root + "'");
    ActivationQuant q = activation_quant(name, r->second, options_.symmetric);
    if (root != name) q.shared_with = root;
    return q;
  }

  std::string add_value(const std::string& base, DType t, const Value& like) {
    const std::string name = quant::unique_name(g(), base);
    Value& v = g().values[name];
    v.name = name;
    v.dtype = t;
    v.shape = like.shape;
    v.rank_known = like.rank_known;
    return name;
  }

  std::string add_constant(const std::string& base, Tensor t) {
    const std::string name = quant::unique_name(g(), base);
    g().set_constant(name, std::move(t));
    return name;
  }

  void add_node(const std::string& op, std::vector<std::string> in, const std::string& out,
                int64_t axis = -1) {
    Node n;
    n.name = out + "_" + op;
    n.op = op;
    n.inputs = std::move(in);
    n.outputs = {out};
    if (axis >= 0) n.attrs["axis"] = axis;
    g().nodes.push_back(std::move(n));
  }

  // DequantizeLinear of constant `q` with per-channel (or one) scales.
  std::string dequantized_constant(const std::string& base, Tensor q,
                                   const std::vector<float>& scales, int64_t axis,
                                   bool with_zero_point) {
    const int64_t n = static_cast<int64_t>(scales.size());
    const bool per_axis = axis >= 0 && n > 1;
    const DType qt = q.dtype();
    const Shape shape = q.shape();
    const std::string qn = add_constant(base + "_quantized", std::move(q));
    const std::string sn =
        add_constant(base + "_scale",
                     per_axis ? Tensor::from(DType::kFloat32, {n}, scales) : scalar_f(scales[0]));
    std::vector<std::string> in = {qn, sn};
    if (with_zero_point)
      in.push_back(add_constant(base + "_zero_point", zero_point(qt, 0, per_axis ? n : 0)));
    Value like;
    like.shape = shape;
    like.rank_known = true;
    const std::string out = add_value(base + "_dequantized", DType::kFloat32, like);
    add_node("DequantizeLinear", in, out, per_axis ? axis : -1);
    return out;
  }

  // The node's own bias, or (MatMul) the Add reading its output.
  std::vector<const BiasUse*> biases_of(const WeightUse& w, const std::string& w_name) {
    std::vector<const BiasUse*> out;
    for (const auto& b : plan_.biases) {
      const auto& reads = node(b.node).inputs;
      if (b.weights == w_name &&
          (b.node == w.node || std::count(reads.begin(), reads.end(), w.node)))
        out.push_back(&b);
    }
    return out;
  }

  // The float bias minus the weights' mean error (bias correction); empty
  // for an absent bias that needs no correction.
  std::optional<Tensor> corrected_bias(const BiasUse& b, const std::vector<double>& shift) {
    Tensor t;
    if (!b.absent)
      t = *g().value(node(b.node).inputs[b.input]).constant;
    else if (!shift.empty())
      t = Tensor(DType::kFloat32, {static_cast<int64_t>(shift.size())});
    else
      return std::nullopt;
    if (static_cast<size_t>(t.size()) == shift.size())
      for (int64_t c = 0; c < t.size(); ++c)
        t.as<float>()[c] = static_cast<float>(t.as<float>()[c] - shift[c]);
    return t;
  }

  // Weights per channel, and the biases at x_scale * w_scale, of one compute node.
  void quantize_compute(const WeightUse& w) {
    const std::string w_name = node(w.node).inputs[w.input];
    const Tensor& weights = *g().value(w_name).constant;
    const std::vector<const BiasUse*> biases = biases_of(w, w_name);
    const auto means = options_.channel_means.find(w.x);
    const size_t channels = w.axis < 0 ? 1 : static_cast<size_t>(weights.shape().at(w.axis));
    std::vector<float> scales = quant::weight_scales(weights, w.axis);
    Tensor q;
    std::vector<double> shift;
    // Twice at most: a bias too large for the int32 accumulator at x_scale *
    // w_scale raises the (near-zero) channel's weight scale, which changes
    // the correction.
    for (int pass = 0; pass < 2; ++pass) {
      q = quant::quantize_weights(weights, w.axis, scales);
      if (means != options_.channel_means.end())
        shift = quant::weight_error_shift(node(w.node), w.input, weights, q, scales, w.axis,
                                          means->second);
      std::vector<float> floor(channels, 0.0f);
      for (const BiasUse* b : biases)
        if (const auto bias = corrected_bias(*b, shift)) {
          const auto f = quant::bias_scale_floor(*bias, params_.at(b->x).scale, weights, w.axis);
          for (size_t c = 0; c < channels; ++c) floor[c] = std::max(floor[c], f[c]);
        }
      const auto raised = quant::weight_scales(weights, w.axis, floor);
      if (raised == scales) break;
      note_raised(w_name, scales, raised);
      scales = raised;
    }
    node(w.node).inputs[w.input] = dequantized_constant(w_name, std::move(q), scales, w.axis, true);
    for (const BiasUse* b : biases)
      if (const auto bias = corrected_bias(*b, shift)) quantize_bias(*b, *bias, scales);
  }

  void note_raised(const std::string& w_name, const std::vector<float>& before,
                   const std::vector<float>& after) {
    size_t n = 0;
    for (size_t c = 0; c < after.size(); ++c) n += after[c] != before[c];
    out_.notes.push_back(w_name + ": " + std::to_string(n) +
                         " channel(s) of near-zero weights get a larger scale so their bias "
                         "fits the int32 accumulator");
  }

  void quantize_bias(const BiasUse& b, const Tensor& bias, const std::vector<float>& w_scales) {
    const std::string name =
        b.absent ? node(b.node).outputs[0] + "_bias" : node(b.node).inputs[b.input];
    std::vector<float> bias_scales;
    Tensor q = quant::quantize_bias(bias, params_.at(b.x).scale, w_scales, bias_scales);
    // int32 data takes no zero point (ONNX requires 0; omitted).
    const std::string dq = dequantized_constant(name, std::move(q), bias_scales, 0, false);
    Node& n = node(b.node);
    if (n.inputs.size() <= b.input) n.inputs.resize(b.input + 1);
    n.inputs[b.input] = dq;
  }

  // A float constant operand of Add/Mul (own min/max range) or Concat
  // (the output's parameters, so the NPU's table is the identity).
  void quantize_constant(const ConstantUse& c) {
    Node& n = node(c.node);
    const std::string name = n.inputs[c.input];
    const Tensor& t = *g().value(name).constant;
    ActivationQuant q;
    if (!c.share.empty()) {
      q = params_.at(c.share);
    } else {
      float lo = 0, hi = 0;
      for (float v : t.as<float>()) lo = std::min(lo, v), hi = std::max(hi, v);
      q = activation_quant(name, {lo, hi}, options_.symmetric);
    }
    Tensor codes(DType::kInt8, t.shape());
    for (int64_t i = 0; i < t.size(); ++i)
      codes.as<int8_t>()[i] =
          static_cast<int8_t>(isa::quantize_linear(t.as<float>()[i], q.scale, q.zero_point, true));
    const std::string qn = add_constant(name + "_quantized", std::move(codes));
    const std::string sn = add_constant(name + "_scale", scalar_f(q.scale));
    const std::string zn =
        add_constant(name + "_zero_point", zero_point(DType::kInt8, q.zero_point));
    const std::string out = add_value(name + "_dequantized", DType::kFloat32, g().value(name));
    add_node("DequantizeLinear", {qn, sn, zn}, out);
    node(c.node).inputs[c.input] = out;
  }

  // Readers of `from` (other than `except`) read `to` instead.
  void redirect(const std::string& from, const std::string& to, const std::string& except) {
    for (auto& n : g().nodes)
      if (n.outputs[0] != except) std::replace(n.inputs.begin(), n.inputs.end(), from, to);
  }

  // Returns the dequantised value's name.
  std::string insert_qdq(const std::string& v) {
    const ActivationQuant& q = params_.at(v);
    const Value like = g().value(v);
    const std::string sn = add_constant(v + "_scale", scalar_f(q.scale));
    auto it = options_.input_types.find(v);
    if (it != options_.input_types.end()) return integer_input(v, it->second, q, sn);
    const std::string zn = add_constant(v + "_zero_point", zero_point(DType::kInt8, q.zero_point));
    const bool is_output = std::count(g().outputs.begin(), g().outputs.end(), v) > 0;
    if (is_output) {
      // The graph output keeps its name on the DequantizeLinear; the producer's
      // float result is renamed, and other readers of v see the dequantised value.
      const std::string fp = add_value(v + "_float", DType::kFloat32, like);
      for (auto& n : g().nodes) std::replace(n.outputs.begin(), n.outputs.end(), v, fp);
      const std::string qv = add_value(v + "_quantized", DType::kInt8, like);
      add_node("QuantizeLinear", {fp, sn, zn}, qv);
      add_node("DequantizeLinear", {qv, sn, zn}, v);
      return v;
    }
    const std::string qv = add_value(v + "_quantized", DType::kInt8, like);
    const std::string dq = add_value(v + "_dequantized", DType::kFloat32, like);
    add_node("QuantizeLinear", {v, sn, zn}, qv);
    add_node("DequantizeLinear", {qv, sn, zn}, dq);
    redirect(v, dq, qv);
    return dq;
  }

  // The input takes integer codes; uint8 codes are int8 codes + 128.
  std::string integer_input(const std::string& v, DType type, ActivationQuant q,
                            const std::string& sn) {
    if (type == DType::kUint8) q.zero_point += 128;
    const std::string zn = add_constant(v + "_zero_point", zero_point(type, q.zero_point));
    g().value(v).dtype = type;
    const std::string dq = add_value(v + "_dequantized", DType::kFloat32, g().value(v));
    add_node("DequantizeLinear", {v, sn, zn}, dq);
    redirect(v, dq, dq);
    q.dequantized = dq;
    out_.integer_inputs[v] = q;
    return dq;
  }

  const QuantPlan& plan_;
  const RangeTable& ranges_;
  const QuantizeOptions& options_;
  QuantizedModel out_;
  std::map<std::string, ActivationQuant> params_;
  std::map<std::string, size_t> index_;
};

}  // namespace

ActivationQuant activation_quant(const std::string& tensor, Range r, bool symmetric) {
  const quant::Grid grid = quant::grid_for(r, symmetric);
  ActivationQuant q;
  q.tensor = tensor;
  q.range = r;
  q.scale = static_cast<float>(grid.scale);
  q.zero_point = grid.zero_point;
  return q;
}

QuantizedModel quantize_graph(const Graph& g, const QuantPlan& plan, const RangeTable& ranges,
                              const QuantizeOptions& options) {
  return Rewriter(g, plan, ranges, options).run();
}

TensorMap quantized_inputs(const QuantizedModel& q, const TensorMap& float_inputs) {
  TensorMap out;
  for (const auto& [name, t] : float_inputs) {
    auto it = q.integer_inputs.find(name);
    if (it == q.integer_inputs.end()) {
      out[name] = t;
      continue;
    }
    const DType type = q.graph.value(name).dtype;
    const bool is_signed = type == DType::kInt8;
    Tensor codes(type, t.shape());
    // As ONNX QuantizeLinear would on the host (int8 codes stored as bytes).
    for (int64_t i = 0; i < t.size(); ++i)
      codes.raw()[static_cast<size_t>(i)] = static_cast<uint8_t>(isa::quantize_linear(
          t.as<float>()[i], it->second.scale, it->second.zero_point, is_signed));
    out[name] = std::move(codes);
  }
  return out;
}

}  // namespace npusim::compiler
