// The accuracy report (quantizer.hpp): FP32 and QDQ models on the same
// inputs through the reference executor; per output SQNR, cosine similarity
// and max abs error, per quantised activation its SQNR in the QDQ model and
// the loss of its own quantisation alone.
#include <algorithm>
#include <cmath>

#include "npusim/compiler/quantizer.hpp"
#include "npusim/isa/int8.hpp"

namespace npusim::compiler {
namespace {

// Sums over every compared element (all samples pooled).
struct Sums {
  double ref2 = 0, err2 = 0, test2 = 0, dot = 0, max_abs = 0, local_err2 = 0, clipped = 0, n = 0;

  void add(std::span<const float> ref, std::span<const float> test) {
    for (size_t i = 0; i < ref.size(); ++i) {
      const double r = ref[i], t = test[i], e = t - r;
      ref2 += r * r;
      test2 += t * t;
      err2 += e * e;
      dot += r * t;
      max_abs = std::max(max_abs, std::fabs(e));
    }
    n += static_cast<double>(ref.size());
  }

  // The reference through this activation's own Q/DQ only.
  void add_local(std::span<const float> ref, const ActivationQuant& q) {
    const float lo = q.scale * float(-128 - q.zero_point), hi = q.scale * float(127 - q.zero_point);
    for (float r : ref) {
      const float d = isa::dequantize_linear(isa::quantize_linear(r, q.scale, q.zero_point, true),
                                             q.scale, q.zero_point);
      local_err2 += double(d - r) * double(d - r);
      clipped += r < lo - q.scale / 2 || r > hi + q.scale / 2;
    }
  }
};

// 1 if the arg max of a [1, K] output agrees; -1 when the output is not one.
double top1_match(const Tensor& ref, const Tensor& test) {
  const Shape& s = ref.shape();
  if (s.size() != 2 || s[0] != 1 || s[1] < 2) return -1;
  const auto a = ref.as<float>(), b = test.as<float>();
  return std::max_element(a.begin(), a.end()) - a.begin() ==
         std::max_element(b.begin(), b.end()) - b.begin();
}

double ratio_db(double signal, double noise) {
  if (noise == 0) return INFINITY;
  return 10.0 * std::log10(signal / noise);
}

const Tensor& float_value(const TensorMap& m, const std::string& name, const char* which) {
  auto it = m.find(name);
  if (it == m.end() || it->second.dtype() != DType::kFloat32)
    throw CompileError(std::string(which) + " model has no float value '" + name + "'");
  return it->second;
}

}  // namespace

double sqnr_db(const Tensor& reference, const Tensor& test) {
  Sums s;
  s.add(reference.as<float>(), test.as<float>());
  return ratio_db(s.ref2, s.err2);
}

AccuracyReport evaluate_accuracy(const Graph& fp32, const QuantizedModel& q,
                                 const std::vector<TensorMap>& inputs,
                                 const AccuracyOptions& options) {
  std::map<std::string, Sums> outputs, layers, weights_only, activations_only;
  std::map<std::string, double> top1;
  ExecOptions keep;
  keep.keep_intermediates = options.per_layer;
  Graph w, a;
  if (options.split) {
    w = weights_only_model(fp32, q.graph);
    a = activations_only_model(fp32, q.graph);
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    TensorMap ref = execute(fp32, inputs[i], keep);
    const TensorMap q_in = quantized_inputs(q, inputs[i]);
    const TensorMap test = execute(q.graph, q_in, keep);
    for (const auto& [name, t] : inputs[i]) ref.emplace(name, t);
    for (const auto& name : fp32.outputs) {
      const Tensor &r = float_value(ref, name, "FP32"), &t = float_value(test, name, "QDQ");
      outputs[name].add(r.as<float>(), t.as<float>());
      top1[name] += top1_match(r, t);
    }
    if (options.split) {
      const TensorMap wo = execute(w, inputs[i]), ao = execute(a, q_in);
      for (const auto& name : fp32.outputs) {
        const auto r = float_value(ref, name, "FP32").as<float>();
        weights_only[name].add(r, float_value(wo, name, "weights-only").as<float>());
        activations_only[name].add(r, float_value(ao, name, "activations-only").as<float>());
      }
    }
    if (options.per_layer)
      for (const auto& a : q.activations) {
        const auto r = float_value(ref, a.tensor, "FP32").as<float>();
        auto it = test.find(a.dequantized);
        if (it == test.end()) continue;  // an integer input: compared as the input itself
        layers[a.tensor].add(r, it->second.as<float>());
        layers[a.tensor].add_local(r, a);
      }
    if (options.progress) options.progress(i + 1, inputs.size());
  }
  AccuracyReport report;
  report.samples = inputs.size();
  for (const auto& name : fp32.outputs) {
    const Sums& s = outputs[name];
    const double denom = std::sqrt(s.ref2 * s.test2);
    OutputAccuracy o{name, ratio_db(s.ref2, s.err2),
                     denom > 0 ? s.dot / denom : (s.err2 == 0 ? 1.0 : 0.0), s.max_abs};
    if (options.split) {
      o.weights_only_db = ratio_db(s.ref2, weights_only[name].err2);
      o.activations_only_db = ratio_db(s.ref2, activations_only[name].err2);
    }
    if (top1[name] >= 0 && !inputs.empty()) o.top1_agreement = top1[name] / double(inputs.size());
    report.outputs.push_back(o);
  }
  for (const auto& [name, s] : layers)
    report.layers.push_back({name, ratio_db(s.ref2, s.err2), ratio_db(s.ref2, s.local_err2),
                             s.n > 0 ? s.clipped / s.n : 0});
  std::sort(report.layers.begin(), report.layers.end(),
            [](const auto& a, const auto& b) { return a.sqnr_db < b.sqnr_db; });
  return report;
}

}  // namespace npusim::compiler
