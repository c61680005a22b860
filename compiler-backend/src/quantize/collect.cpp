// Calibration runs: the FP32 graph on each input through the reference
// executor, every planned activation's values into its histogram, and the
// channel means bias correction uses.
#include <set>

#include "npusim/compiler/calibration.hpp"
#include "npusim/compiler/quantizer.hpp"

namespace npusim::compiler {
namespace {

// This sample's mean of each channel along axis 1 (channels of NCHW,
// features of a 2-D [M, K]); empty for tensors without channels.
std::vector<double> channel_means_of(const Tensor& t) {
  const Shape& s = t.shape();
  if (s.size() < 2 || t.dtype() != DType::kFloat32 || t.size() == 0) return {};
  const int64_t channels = s[1];
  const int64_t inner = t.size() / (s[0] * channels);
  std::vector<double> sample(static_cast<size_t>(channels), 0.0);
  const auto v = t.as<float>();
  for (int64_t i = 0; i < t.size(); ++i) sample[(i / inner) % channels] += v[i];
  const double per_channel = double(t.size()) / double(channels);
  for (double& m : sample) m /= per_channel;
  return sample;
}

const Tensor* find(const TensorMap& values, const TensorMap& inputs, const std::string& name) {
  auto it = values.find(name);
  if (it != values.end()) return &it->second;
  it = inputs.find(name);
  return it == inputs.end() ? nullptr : &it->second;
}

}  // namespace

CalibrationCollector::CalibrationCollector(const Graph& g, std::vector<std::string> tensors,
                                           std::vector<std::string> channel_means)
    : graph_(g), tensors_(std::move(tensors)), mean_tensors_(std::move(channel_means)) {}

void CalibrationCollector::add(const TensorMap& input) {
  const size_t number = samples_ + 1;
  ExecOptions exec;
  exec.keep_intermediates = true;
  TensorMap values;
  try {
    values = execute(graph_, input, exec);
  } catch (const CompileError& e) {
    throw CompileError("calibration input " + std::to_string(number) + ": " + e.what());
  }
  for (const auto& name : tensors_) {
    const Tensor* t = find(values, input, name);
    if (!t) throw CompileError("calibration: value '" + name + "' was not computed");
    if (t->dtype() == DType::kFloat32) stats_[name].add(t->as<float>());
  }
  for (const auto& name : mean_tensors_)
    if (const Tensor* t = find(values, input, name)) {
      // The entry exists (empty) for tensors without channels too, as it always did.
      auto& per_sample = sample_means_[name];
      std::vector<double> means = channel_means_of(*t);
      if (!means.empty()) per_sample.push_back(std::move(means));
    }
  samples_ = number;
}

Calibration CalibrationCollector::result() const {
  Calibration c;
  c.stats = stats_;
  c.samples = samples_;
  // Summed in input order, each term divided by the count: the same
  // arithmetic calibrate() always did, so results stay bit-identical.
  for (const auto& [name, per_sample] : sample_means_) {
    std::vector<double>& sums = c.channel_means[name];
    for (const auto& means : per_sample) {
      sums.resize(means.size(), 0.0);
      for (size_t ch = 0; ch < means.size(); ++ch) sums[ch] += means[ch] / double(samples_);
    }
  }
  return c;
}

Calibration calibrate(const Graph& g, const std::vector<std::string>& tensors,
                      const std::vector<TensorMap>& inputs, const CalibrateOptions& options) {
  CalibrationCollector collector(g, tensors, options.channel_means);
  for (size_t i = 0; i < inputs.size(); ++i) {
    collector.add(inputs[i]);
    if (options.progress) options.progress(i + 1, inputs.size());
  }
  return collector.result();
}

Calibration calibrate_plan(const Graph& g, const QuantPlan& plan,
                           const std::vector<TensorMap>& inputs, const ProgressFn& progress) {
  CalibrateOptions o;
  for (const auto& w : plan.weights) o.channel_means.push_back(w.x);
  o.progress = progress;
  return calibrate(g, plan.activations, inputs, o);
}

}  // namespace npusim::compiler
