// Calibration runs: the FP32 graph on each input through the reference
// executor, every planned activation's values into its histogram, and the
// channel means bias correction uses.
#include <set>

#include "npusim/compiler/calibration.hpp"
#include "npusim/compiler/quantizer.hpp"

namespace npusim::compiler {
namespace {

// Adds this sample's means along axis 1 (channels of NCHW, features of a
// 2-D [M, K]) to `sums`, weighted so that the final values are means over
// all samples.
void add_channel_means(const Tensor& t, size_t samples, std::vector<double>& sums) {
  const Shape& s = t.shape();
  if (s.size() < 2 || t.dtype() != DType::kFloat32 || t.size() == 0) return;
  const int64_t channels = s[1];
  const int64_t inner = t.size() / (s[0] * channels);
  sums.resize(static_cast<size_t>(channels), 0.0);
  std::vector<double> sample(static_cast<size_t>(channels), 0.0);
  const auto v = t.as<float>();
  for (int64_t i = 0; i < t.size(); ++i) sample[(i / inner) % channels] += v[i];
  const double per_channel = double(t.size()) / double(channels);
  for (size_t c = 0; c < sample.size(); ++c) sums[c] += sample[c] / per_channel / double(samples);
}

const Tensor* find(const TensorMap& values, const TensorMap& inputs, const std::string& name) {
  auto it = values.find(name);
  if (it != values.end()) return &it->second;
  it = inputs.find(name);
  return it == inputs.end() ? nullptr : &it->second;
}

}  // namespace

Calibration calibrate(const Graph& g, const std::vector<std::string>& tensors,
                      const std::vector<TensorMap>& inputs, const CalibrateOptions& options) {
  Calibration c;
  ExecOptions exec;
  exec.keep_intermediates = true;
  for (size_t i = 0; i < inputs.size(); ++i) {
    TensorMap values;
    try {
      values = execute(g, inputs[i], exec);
    } catch (const CompileError& e) {
      throw CompileError("calibration input " + std::to_string(i + 1) + ": " + e.what());
    }
    for (const auto& name : tensors) {
      const Tensor* t = find(values, inputs[i], name);
      if (!t) throw CompileError("calibration: value '" + name + "' was not computed");
      if (t->dtype() == DType::kFloat32) c.stats[name].add(t->as<float>());
    }
    for (const auto& name : options.channel_means)
      if (const Tensor* t = find(values, inputs[i], name))
        add_channel_means(*t, inputs.size(), c.channel_means[name]);
    ++c.samples;
    if (options.progress) options.progress(i + 1, inputs.size());
  }
  return c;
}

Calibration calibrate_plan(const Graph& g, const QuantPlan& plan,
                           const std::vector<TensorMap>& inputs, const ProgressFn& progress) {
  CalibrateOptions o;
  for (const auto& w : plan.weights) o.channel_means.push_back(w.x);
  o.progress = progress;
  return calibrate(g, plan.activations, inputs, o);
}

}  // namespace npusim::compiler
