// Post-training int8 quantisation of an FP32 ONNX model into a standard QDQ
// graph (QuantizeLinear -> DequantizeLinear around every quantised value),
// the form lower_quantized() turns into NPU ops and ONNX Runtime runs as is.
//
//   Graph g = prepare_model(path, shapes);       // import, fold, opset 13
//   QuantPlan plan = plan_quantization(g);       // which values, which scales
//   Calibration c = calibrate(g, plan.activations, inputs);      // calibration.hpp
//   RangeTable r = compute_ranges(c, plan, method);
//   QuantizedModel q = quantize_graph(g, plan, r, options);
//   AccuracyReport a = evaluate_accuracy(g, q, held_back_inputs);
//
// Scheme (TFLite-like): activations int8 per tensor (asymmetric: zero point
// from the range; symmetric: 0); weights int8 symmetric per output channel;
// biases int32 at scale x_scale * w_scale. docs/quantizer.md explains the
// choices (fused activations, SiLU, shared scales, graph inputs and outputs).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "npusim/compiler/calibration.hpp"
#include "npusim/compiler/graph.hpp"

namespace npusim::compiler {

// ---- Preparation ("optimize") ---------------------------------------------

struct PrepareOptions {
  std::map<std::string, Shape> input_shapes;  // overrides for dynamic dims
  int64_t opset = 13;                         // per-channel DequantizeLinear needs 13
  bool fold_affine = true;  // BatchNormalization / Mul / Add by constants into Conv
  // Cut the FP32 graph here before anything else: these tensors become its
  // outputs and what they do not need is dropped (the Warboy tutorial cuts
  // YOLOv8 before its box decode). Cutting before quantising gives the new
  // outputs their own Q/DQ, so the ops producing them stay on the NPU.
  std::vector<std::string> outputs;
};

// Imports `path` and readies it for quantisation: fixes input shapes, folds
// constant subgraphs (Constant, Shape of static shapes, ConstantOfShape, ...),
// drops Identity/Dropout, converts to opset >= 13 and folds per-channel
// affine ops into the convolution before them; first cuts the graph at
// options.outputs if given. Refuses models that are
// already quantised, dynamic input shapes and non-float inputs, naming the
// input. `notes` (optional) receives what was done.
Graph prepare_model(const std::string& path, const PrepareOptions& options = {},
                    std::vector<std::string>* notes = nullptr);
// The same for a graph already imported (`origin` names it in errors).
Graph prepare_graph(Graph g, const std::string& origin, const PrepareOptions& options = {},
                    std::vector<std::string>* notes = nullptr);

// ---- Plan --------------------------------------------------------------------

// Weights of a compute node quantised per channel along `axis`.
struct WeightUse {
  std::string node;  // first output of the node (names may be empty)
  size_t input = 1;
  int64_t axis = 0;  // -1: per tensor (e.g. grouped ConvTranspose)
  std::string x;     // the node's activation input
};
// A bias quantised to int32 at x_scale * w_scale: input `input` of `node`,
// whose activation is `x` and weights `weights`. `absent`: the Conv/Gemm has
// none; bias correction may create it.
struct BiasUse {
  std::string node;
  size_t input = 2;
  std::string x, weights;
  int64_t weight_axis = 0;
  bool absent = false;
};
// A constant operand of Add/Mul/Concat quantised per tensor.
struct ConstantUse {
  std::string node;
  size_t input = 0;
  std::string share;  // "" = own min/max range, else the tensor whose parameters it takes
};

struct QuantPlan {
  std::vector<std::string> activations;      // values to calibrate and quantise, graph order
  std::map<std::string, std::string> share;  // value -> value whose parameters it reuses
  std::vector<WeightUse> weights;
  std::vector<BiasUse> biases;
  std::vector<ConstantUse> constants;
  std::map<std::string, std::string> roles;  // node (first output) -> role, for the report
  std::vector<std::string> float_nodes;      // Node::describe() of nodes left in float
};

// Decides which values are quantised (see docs/quantizer.md):
//  - inputs and outputs of Conv, ConvTranspose, Gemm, MatMul, Add, Mul,
//    pooling, Resize, Concat and element-wise activations;
//  - not between Conv/Gemm/MatMul/Add/Mul and a Relu/Clip that alone reads
//    it (the compiler fuses the pair), nor inside a chain of element-wise ops
//    of one value such as SiLU x*Sigmoid(x) or HardSwish (one table on the NPU);
//  - MaxPool, nearest Resize and data movement (Reshape, Transpose, ...)
//    reuse their input's parameters, so they stay exact.
QuantPlan plan_quantization(const Graph& g);

// Calibration for a plan: histograms of its activations and the channel
// means of its compute nodes' inputs (for bias correction).
Calibration calibrate_plan(const Graph& g, const QuantPlan& plan,
                           const std::vector<TensorMap>& inputs, const ProgressFn& progress = {});

// ---- Ranges -------------------------------------------------------------------

using RangeTable = std::map<std::string, Range>;

// One range per planned activation. Graph inputs always take their min/max
// (preprocessing bounds them; clipping them would only lose information).
RangeTable compute_ranges(const Graph& g, const Calibration& c, const QuantPlan& plan,
                          const RangeMethod& method);

// JSON: {"method": ..., "tensors": {name: {"lo": .., "hi": ..}},
// "channel_means": {name: [..]}}; written atomically.
void save_ranges(const std::string& path, const RangeTable& ranges, const RangeMethod& method,
                 const std::string& model, const ChannelMeans& means = {});
// Reads a ranges file (and its channel means into `means`, if given);
// errors name the file and, for a range the plan needs but the file lacks,
// the tensor.
RangeTable load_ranges(const std::string& path, const QuantPlan& plan,
                       ChannelMeans* means = nullptr);

// ---- Quantisation --------------------------------------------------------------

struct QuantizeOptions {
  bool symmetric = false;  // activations: zero point 0
  // Bias correction: with the FP32 mean of each input channel of a compute
  // node (Calibration::channel_means), its bias absorbs the mean error the
  // int8 weights add: b -= sum (w_q - w) * mean. Empty: none.
  ChannelMeans channel_means;
  // Graph inputs fed as integers directly (int8 or uint8): no QuantizeLinear
  // for them in the model, the caller quantises (or the camera gives bytes).
  std::map<std::string, DType> input_types;
};

// Quantisation of one activation: real = scale * (q - zero_point), int8.
struct ActivationQuant {
  std::string tensor;
  Range range;
  float scale = 1;
  int32_t zero_point = 0;
  std::string shared_with;  // "" or the tensor whose parameters it reuses
  std::string dequantized;  // the value its readers see in the QDQ graph
};

struct QuantizedModel {
  Graph graph;
  std::vector<ActivationQuant> activations;
  // Integer graph inputs: scale and zero point for the caller's quantisation.
  std::map<std::string, ActivationQuant> integer_inputs;
  std::vector<std::string> notes;  // e.g. weight scales raised to keep a bias in int32
};

// Scale and zero point (int8) of a range.
ActivationQuant activation_quant(const std::string& tensor, Range r, bool symmetric);

// Rewrites the prepared FP32 graph into QDQ form. Throws CompileError naming
// the tensor when the ranges lack one the plan needs, and for --input-type
// names that are not graph inputs or types other than int8/uint8.
QuantizedModel quantize_graph(const Graph& g, const QuantPlan& plan, const RangeTable& ranges,
                              const QuantizeOptions& options = {});

// The whole pipeline as `npusim quantize` runs it on calibration data: plan,
// calibrate on `calib`, clipping ranges by `method`, and bias correction from
// the channel means unless `bias_correction` is false.
QuantizedModel quantize(const Graph& g, const std::vector<TensorMap>& calib,
                        const RangeMethod& method, bool bias_correction = true);

// Graph inputs for the quantised model: float inputs unchanged, integer
// inputs quantised with their parameters.
TensorMap quantized_inputs(const QuantizedModel& q, const TensorMap& float_inputs);

// ---- Accuracy ---------------------------------------------------------------

struct OutputAccuracy {
  std::string name;
  double sqnr_db = 0;  // 10 log10(sum f^2 / sum (q - f)^2) over all samples
  double cosine = 0;
  double max_abs_error = 0;
  // The error split (AccuracyOptions::split): SQNR with only the weights
  // (and other constants) quantised, and with only the activations.
  double weights_only_db = 0, activations_only_db = 0;
  // Classifier outputs ([1, K], K >= 2): share of samples whose arg max
  // agrees with FP32's; -1 for other outputs.
  double top1_agreement = -1;
};

struct LayerSensitivity {
  std::string tensor;
  double sqnr_db = 0;   // the value in the QDQ model vs FP32 (errors accumulated so far)
  double local_db = 0;  // the FP32 value through this Q/DQ alone (its own range's loss)
  double clipped = 0;   // share of FP32 values outside the range
};

struct AccuracyReport {
  std::vector<OutputAccuracy> outputs;
  std::vector<LayerSensitivity> layers;  // worst (lowest SQNR) first
  size_t samples = 0;
};

struct AccuracyOptions {
  bool per_layer = true;  // LayerSensitivity of every quantised activation
  bool split = false;     // also run weights-only and activations-only models
  ProgressFn progress;
};

// Runs FP32 and QDQ models on `inputs` through the reference executor.
AccuracyReport evaluate_accuracy(const Graph& fp32, const QuantizedModel& q,
                                 const std::vector<TensorMap>& inputs,
                                 const AccuracyOptions& options = {});

// The FP32 graph with the QDQ graph's quantised constants (weights, biases,
// constant operands) in place of its own: only constants are quantised.
// With `only_node` (a node's first output), only that node's constants.
Graph weights_only_model(const Graph& fp32, const Graph& qdq, const std::string& only_node = "");
// The QDQ graph with the FP32 constants back: only activations are quantised.
Graph activations_only_model(const Graph& fp32, const Graph& qdq);

// Signal-to-quantisation-noise ratio in dB of `test` against `reference`
// (both float32, same size); +inf when equal.
double sqnr_db(const Tensor& reference, const Tensor& test);

}  // namespace npusim::compiler
