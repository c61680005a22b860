// Calibration for post-training quantisation: statistics of every activation
// the quantiser will quantise, collected by running the FP32 graph through the
// reference executor, and the methods that turn them into a clipping range
// (docs/quantizer.md has the formulas). Also the calibration inputs: .npy
// files, image folders (decoded and preprocessed like the model expects) or
// random data.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "npusim/compiler/executor.hpp"
#include "npusim/compiler/graph.hpp"

namespace npusim::compiler {

// Histogram of one tensor's values over all calibration inputs. Its range
// grows as needed by doubling the bin width (merging neighbouring bins), so
// counts already taken stay exact: bins never straddle two old bins.
class Histogram {
 public:
  static constexpr int kBins = 2048;

  void add(std::span<const float> values);
  bool empty() const { return total_ == 0; }
  double total() const { return total_; }
  double min() const { return min_; }  // exact extremes seen
  double max() const { return max_; }
  double lo() const { return lo_; }  // the binned range [lo, lo + kBins * bin_width)
  double bin_width() const { return width_; }
  const std::vector<double>& counts() const { return counts_; }
  double zeros() const { return zeros_; }  // values exactly 0 (ReLU outputs: often half)
  // The histogram without the exact zeros. Every grid represents 0 exactly,
  // so they take no part in choosing a range by error or divergence; left
  // in, spread over their bin, they would look like values needing precision.
  Histogram without_zeros() const;
  // Number of values in [a, b), values being spread evenly within each bin.
  double mass(double a, double b) const;
  // Builds a histogram from saved parts (tests, merging); counts.size() == kBins.
  static Histogram from_parts(double lo, double bin_width, std::vector<double> counts, double min,
                              double max);

 private:
  void cover(double lo, double hi);
  void double_width(bool extend_up);
  std::vector<double> counts_;
  double lo_ = 0, width_ = 0, total_ = 0, min_ = 0, max_ = 0, zeros_ = 0;
};

// How a clipping range is chosen from a histogram. Symmetric ranges are
// [-t, t] (zero point 0); asymmetric ones [lo, hi] with lo <= 0 <= hi.
enum class RangeMethodKind { kMinMax, kPercentile, kEntropy, kMse, kSqnr };

struct RangeMethod {
  RangeMethodKind kind = RangeMethodKind::kPercentile;
  bool symmetric = false;
  double percentile = 99.99;  // kPercentile: share of values kept, in percent
};

// "minmax", "percentile-sym", "entropy-asym", ... (no suffix: asymmetric).
// Throws std::invalid_argument naming the accepted names.
RangeMethod parse_range_method(const std::string& name, double percentile = 99.99);
std::string range_method_name(const RangeMethod& m);  // "mse-asym"
// Every method, asymmetric and symmetric (for --compare-methods).
std::vector<RangeMethod> all_range_methods(double percentile = 99.99);

// A clipping range; always contains 0 (so real 0 is exactly representable).
struct Range {
  float lo = 0, hi = 0;
};
Range compute_range(const Histogram& h, const RangeMethod& m);

// Mean of each channel (axis 1: NCHW channels, the features of [M, K]) of a
// value over all calibration inputs: what bias correction needs.
using ChannelMeans = std::map<std::string, std::vector<double>>;

// Calibration statistics per tensor name.
struct Calibration {
  std::map<std::string, Histogram> stats;
  ChannelMeans channel_means;
  size_t samples = 0;
};

// Called after each input with (done, total).
using ProgressFn = std::function<void(size_t, size_t)>;

struct CalibrateOptions {
  std::vector<std::string> channel_means;  // values whose channel means to record
  ProgressFn progress;
};

// Runs `g` (FP32) on every input and records the values of `tensors`.
// Errors name the input number and the node.
Calibration calibrate(const Graph& g, const std::vector<std::string>& tensors,
                      const std::vector<TensorMap>& inputs, const CalibrateOptions& options = {});

// calibrate() one input at a time, for callers that stream their data (the
// Python Calibrator's collect_data): after the same inputs in the same
// order, result() equals calibrate()'s, histograms and channel means alike.
class CalibrationCollector {
 public:
  // `g` must outlive the collector.
  CalibrationCollector(const Graph& g, std::vector<std::string> tensors,
                       std::vector<std::string> channel_means = {});
  // Runs the graph on one input; errors name the input by its number (from 1).
  void add(const TensorMap& input);
  size_t samples() const { return samples_; }
  // The statistics so far; channel means are averaged over samples().
  Calibration result() const;

 private:
  const Graph& graph_;
  std::vector<std::string> tensors_, mean_tensors_;
  std::map<std::string, Histogram> stats_;
  // Per tensor, per input: each channel's mean in that input.
  std::map<std::string, std::vector<std::vector<double>>> sample_means_;
  size_t samples_ = 0;
};

// ---- Calibration inputs ----------------------------------------------------

// Image preprocessing: value = (pixel * scale - mean[c]) / std[c] with pixels
// 0..255 in the given channel order, resized to the input's H x W (stretched,
// or letterboxed: aspect kept, centred, padded with pad_value).
struct ImagePreprocess {
  int64_t width = 0, height = 0;  // 0: the model input's size
  bool letterbox = false;
  float pad_value = 0;  // pixel units, letterbox only
  float scale = 1.0f / 255.0f;
  std::vector<float> mean = {0.0f};  // one value, or one per channel
  std::vector<float> std = {1.0f};
  bool bgr = false;
  std::string layout;  // "NCHW", "NHWC" or "" (guess from the input shape)
  // Random crops per image, after the whole image: rectangles of the
  // input's aspect ratio, 10-100 % of the largest that fits (few images
  // still give many calibration samples; a text-line model sees lines).
  int crops = 0;
  uint32_t crop_seed = 1;
};

// Calibration data for `g`'s inputs from command-line style specs:
//   DIR            every .npy / .png / .jpg / .jpeg / .bmp in it (sorted)
//   FILE.npy       one or more samples (a leading batch axis is split)
//   IMAGE          one image (for the single image-like input)
//   NAME=SPEC      the above for input NAME of a multi-input model
//   random         `random_count` samples: random pixels through the preprocessing
// Each returned map holds one value per graph input. Errors name the file or
// input and the reason (missing, unreadable, dtype, shape).
std::vector<TensorMap> load_inputs(const Graph& g, const std::vector<std::string>& specs,
                                   const ImagePreprocess& pp, size_t random_count, uint32_t seed);

// One image file as model inputs of shape [1, C, H, W] or [1, H, W, C]: the
// whole image, then pp.crops random crops.
std::vector<Tensor> load_image(const std::string& path, const Shape& input_shape,
                               const ImagePreprocess& pp);
// The same from an image file's bytes; `origin` names it in messages.
std::vector<Tensor> load_image_bytes(const std::string& bytes, const std::string& origin,
                                     const Shape& input_shape, const ImagePreprocess& pp);

// .npy files (v1-3 read, v1 written; C order; float32, float64, int8,
// uint8, int32, int64, bool). float64 data is narrowed to float32 for
// calibration, and refused where it would silently change a model input
// (npusim run). Files and shapes past docs/limits.md are refused; writes
// are atomic (files::write_file).
enum class NpyFloat64 { kNarrow, kRefuse };
Tensor read_npy(const std::string& path, NpyFloat64 float64 = NpyFloat64::kNarrow);
// The same from a file's bytes; `origin` names it in messages.
Tensor parse_npy(const std::string& bytes, const std::string& origin,
                 NpyFloat64 float64 = NpyFloat64::kNarrow);
void write_npy(const std::string& path, const Tensor& t);

}  // namespace npusim::compiler
