// Issues 3 and 4: the three developer models, quantised here as `npusim
// quantize` does by default (percentile-asym, bias correction) on real
// images, run in ONNX Runtime 1.30 and in the reference executor, both on
// the QDQ graph and on the graph lower_quantized makes of it (the NPU's
// integer semantics: the compiled program's golden model). Compared in the
// quantised domain: the int8 codes of every QuantizeLinear output, among
// them those feeding each graph output's final DequantizeLinear (PP-OCR cls:
// the logits before the float Softmax).
//
// Asserted (issue 13's accuracy criterion; docs/debug.md):
// - teacher-forced, each layer of the reference runs on ONNX Runtime's codes
//   of its inputs (force_values), so the comparison is of the two
//   implementations of each layer: for every code tensor >= 99.9 % of the
//   codes equal and all within 1 LSB. Measured: 99.9999 % exact, never more
//   than 1 apart (float sums in another order flip a code at a rounding tie);
// - whole model, for every output: the SQNR against FP32 (the prepared FP32
//   graph on the same inputs) of the lowered graph, the compiled program's
//   golden model, to which the simulator is bit-identical (debug_tests), is
//   within 1.5 dB of ONNX Runtime's SQNR against FP32 on the same QDQ file.
// Printed, not asserted: the same codes with each implementation running
// freely. There a single flipped code changes the next layer's sums by a
// fraction of an LSB and flips some of its neighbours' codes; through 60-100
// layers (and Add -> Relu outputs at half their inputs' scale) some inputs'
// outputs end up far apart, while others stay bit-exact. The first flip is
// printed per input. docs/quantizer.md has the figures.
//
// ONNX Runtime runs with graph optimisations disabled: QuantizeLinear,
// DequantizeLinear and the float ops between them keep ONNX's definition, as
// in the reference executor. At "all" it fuses QDQ groups into its own int8
// kernels, which on this CPU (AVX2 without VNNI) saturate 16-bit
// intermediate sums of 8-bit weights (ORT's reduce_range exists for that):
// a property of ORT's kernels, not of the QDQ file. That figure is printed
// (from a file without the extra outputs, which would stop the fusion).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>

#include "npusim/compiler/calibration.hpp"
#include "npusim/compiler/lower_quantized.hpp"
#include "npusim/compiler/onnx_io.hpp"
#include "npusim/compiler/quantizer.hpp"
#include "oracle.hpp"

namespace npusim::testing {
namespace {

using compiler::ImagePreprocess;
using compiler::Shape;
using Clock = std::chrono::steady_clock;

struct ModelCase {
  std::string file;
  std::string path;  // the model file; default: file in the model cache
  std::map<std::string, Shape> input_shapes;
  ImagePreprocess pp;
  std::vector<std::string> calib_images, eval_images;
  int calib_crops = 0, eval_crops = 0;
};

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::vector<TensorMap> image_inputs(const Graph& g, const std::vector<std::string>& images,
                                    ImagePreprocess pp, int crops, uint32_t seed) {
  std::vector<std::string> paths;
  for (const auto& name : images) paths.push_back(cached_image_path(name));
  pp.crops = crops;
  pp.crop_seed = seed;
  return compiler::load_inputs(g, paths, pp, 0, seed);
}

// Agreement per code tensor, accumulated over the evaluation inputs.
using Agreements = std::map<std::string, CodeAgreement>;

void print_row(const std::string& name, const CodeAgreement& r) {
  std::printf("    %-36s %9lld elements  exact %8.4f %%  within 1 LSB %8.4f %%  max diff %d\n",
              name.c_str(), static_cast<long long>(r.elements),
              100.0 * double(r.exact) / double(r.elements), 100.0 * r.within_1_share(), r.max_diff);
}

// The rows of `names`, then (if `all` is set) the sum over every tensor.
void print_table(const std::string& title, const Agreements& a,
                 const std::vector<std::string>& names, bool all = false) {
  std::printf("  %s\n", title.c_str());
  for (const auto& name : names)
    if (a.count(name)) print_row(name, a.at(name));
  if (all) {
    CodeAgreement total;
    for (const auto& [name, r] : a) total += r;
    print_row("all " + std::to_string(a.size()) + " code tensors", total);
  }
  std::fflush(stdout);
}

void expect_agreement(const std::string& what, const Agreements& a) {
  for (const auto& [name, r] : a) {
    ASSERT_GT(r.elements, 0) << what << ": " << name;
    EXPECT_GE(double(r.exact) / double(r.elements), 0.999)
        << what << ": " << name << ": " << r.exact << " of " << r.elements << " codes equal";
    EXPECT_EQ(r.within_1, r.elements)
        << what << ": " << name << ": " << r.within_1 << " of " << r.elements
        << " codes within 1 LSB (max diff " << r.max_diff << ")";
  }
}

// Signal and noise power of float outputs against FP32, pooled over inputs.
struct Sqnr {
  double signal = 0, noise = 0;
  void add(const Tensor& x, const Tensor& fp32) {
    const auto a = x.as<float>(), f = fp32.as<float>();
    ASSERT_EQ(a.size(), f.size());
    for (size_t i = 0; i < a.size(); ++i) {
      signal += double(f[i]) * f[i];
      noise += (double(a[i]) - f[i]) * (double(a[i]) - f[i]);
    }
  }
  double db() const { return 10.0 * std::log10(signal / noise); }
};

// The first code tensor (graph order) where two free runs differ.
std::string first_difference(const std::vector<std::string>& codes, const TensorMap& a,
                             const TensorMap& b) {
  for (const auto& t : codes) {
    const CodeAgreement r = compare_codes(a.at(t), b.at(t));
    if (r.exact != r.elements)
      return t + " (" + std::to_string(r.elements - r.exact) + " of " + std::to_string(r.elements) +
             " codes, max diff " + std::to_string(r.max_diff) + ")";
  }
  return "none: bit-exact";
}

void check_against_ort(const ModelCase& mc) {
  const auto t0 = Clock::now();
  const std::string model = mc.path.empty() ? cached_model_path(mc.file) : mc.path;
  ASSERT_TRUE(file_present(model, "scripts/fetch-models.sh"));
  for (const auto& img : mc.calib_images)
    ASSERT_TRUE(file_present(cached_image_path(img), "scripts/fetch-images.sh"));
  for (const auto& img : mc.eval_images)
    ASSERT_TRUE(file_present(cached_image_path(img), "scripts/fetch-images.sh"));
  ASSERT_TRUE(oracle_present());

  compiler::PrepareOptions po;
  po.input_shapes = mc.input_shapes;
  const Graph g = compiler::prepare_model(model, po);
  const auto calib = image_inputs(g, mc.calib_images, mc.pp, mc.calib_crops, 1);
  const compiler::QuantizedModel q =
      compiler::quantize(g, calib, compiler::parse_range_method("percentile"));
  Graph lowered = q.graph;
  compiler::lower_quantized(lowered);
  const double t_quantise = seconds_since(t0);

  // The code tensors: those deciding the graph outputs, and all of them.
  std::vector<std::string> out_codes;
  for (const auto& o : q.graph.outputs)
    for (const auto& t : output_codes(q.graph, o)) out_codes.push_back(t);
  ASSERT_FALSE(out_codes.empty());
  const std::vector<std::string> codes = quantized_values(q.graph);

  // Two files for ONNX Runtime: every code tensor as an extra output (the
  // values do not change; optimisations disabled), and the output codes only
  // (the optimised path).
  TempDir dir("oracle_" + mc.file);
  auto with_outputs = [&](const std::vector<std::string>& extra, const std::string& name) {
    Graph x = q.graph;
    for (const auto& t : extra)
      if (std::find(x.outputs.begin(), x.outputs.end(), t) == x.outputs.end())
        x.outputs.push_back(t);
    compiler::export_onnx(x, dir.path() + "/" + name);
    return std::make_pair(dir.path() + "/" + name, x.outputs);
  };
  const auto [all_codes_file, all_codes_outputs] = with_outputs(codes, "codes.onnx");
  const auto [out_codes_file, out_codes_outputs] = with_outputs(out_codes, "qdq.onnx");

  std::vector<std::string> forced_in_lowered;
  const Graph forced_qdq = force_values(q.graph, codes);
  const Graph forced_lowered = force_values(lowered, codes, &forced_in_lowered);
  for (const auto& t : out_codes)
    ASSERT_NE(std::find(forced_in_lowered.begin(), forced_in_lowered.end(), t),
              forced_in_lowered.end())
        << t << " is not computed by the lowered graph";

  const auto eval = image_inputs(g, mc.eval_images, mc.pp, mc.eval_crops, 2);
  Agreements free_qdq, free_lowered, free_ours, free_optimised, forced_q, forced_l;
  std::map<std::string, Sqnr> sqnr_lowered, sqnr_ort;
  std::vector<std::string> first_flips;
  std::map<std::string, double> float_diff;
  compiler::ExecOptions keep;
  keep.keep_intermediates = true;
  double t_ref = 0, t_lowered = 0, t_ort = 0;
  for (const auto& in_float : eval) {
    const TensorMap in = compiler::quantized_inputs(q, in_float);
    auto t1 = Clock::now();
    const TensorMap ort = run_ort(all_codes_file, in, all_codes_outputs, "disabled", dir.path());
    const TensorMap ort_opt = run_ort(out_codes_file, in, out_codes_outputs, "all", dir.path());
    t_ort += seconds_since(t1);
    TensorMap ort_codes = in;
    for (const auto& t : codes) ort_codes[t] = ort.at(t);

    t1 = Clock::now();
    const TensorMap ref = compiler::execute(q.graph, in, keep);
    const TensorMap ref_forced = compiler::execute(forced_qdq, ort_codes, keep);
    t_ref += seconds_since(t1);
    t1 = Clock::now();
    const TensorMap low = compiler::execute(lowered, in, keep);
    const TensorMap fp32 = compiler::execute(g, in_float);
    for (const auto& o : q.graph.outputs) {
      sqnr_lowered[o].add(low.at(o), fp32.at(o));
      sqnr_ort[o].add(ort.at(o), fp32.at(o));
    }
    TensorMap low_in = in;
    for (const auto& t : forced_in_lowered) low_in[t] = ort.at(t);
    const TensorMap low_forced = compiler::execute(forced_lowered, low_in, keep);
    t_lowered += seconds_since(t1);

    for (const auto& t : codes) forced_q[t] += compare_codes(ref_forced.at(own_name(t)), ort.at(t));
    for (const auto& t : forced_in_lowered)
      forced_l[t] += compare_codes(low_forced.at(own_name(t)), ort.at(t));
    for (const auto& t : out_codes) {
      free_qdq[t] += compare_codes(ref.at(t), ort.at(t));
      free_lowered[t] += compare_codes(low.at(t), ort.at(t));
      free_ours[t] += compare_codes(ref.at(t), low.at(t));
      free_optimised[t] += compare_codes(ref.at(t), ort_opt.at(t));
    }
    first_flips.push_back(first_difference(codes, ref, ort));
    for (const auto& o : q.graph.outputs)
      float_diff[o] = std::max(float_diff[o], max_abs_diff(ref.at(o), ort.at(o)));
  }

  std::printf(
      "%s: %zu calibration + %zu evaluation inputs, %zu code tensors; quantise %.1f s, "
      "reference %.1f s, lowered %.1f s, ONNX Runtime %.1f s\n",
      mc.file.c_str(), calib.size(), eval.size(), codes.size(), t_quantise, t_ref, t_lowered,
      t_ort);
  for (const auto& note : q.notes) std::printf("  quantizer: %s\n", note.c_str());
  print_table("teacher-forced, reference (QDQ graph) vs ONNX Runtime (optimisations disabled):",
              forced_q, out_codes, true);
  print_table("teacher-forced, reference (lowered graph) vs ONNX Runtime (disabled):", forced_l,
              out_codes, true);
  print_table("free-running, reference (QDQ graph) vs ONNX Runtime (disabled):", free_qdq,
              out_codes);
  print_table("free-running, reference (lowered graph) vs ONNX Runtime (disabled):", free_lowered,
              out_codes);
  print_table("free-running, reference: QDQ graph vs lowered graph:", free_ours, out_codes);
  print_table("free-running, reference (QDQ graph) vs ONNX Runtime (optimisations all):",
              free_optimised, out_codes);
  std::printf(
      "  first code that differs, free-running reference (QDQ) vs ONNX Runtime "
      "(disabled), per input:\n");
  for (size_t i = 0; i < first_flips.size(); ++i)
    std::printf("    input %zu: %s\n", i, first_flips[i].c_str());
  for (const auto& [o, d] : float_diff)
    std::printf("  float output %s: max |reference - ONNX Runtime (disabled)| %.3g\n", o.c_str(),
                d);
  std::printf(
      "  whole model, SQNR against FP32 (dB): lowered graph (= the simulator) / ONNX "
      "Runtime (disabled):\n");
  for (const auto& o : q.graph.outputs)
    std::printf("    %-36s %6.2f / %6.2f  (difference %+.2f)\n", o.c_str(), sqnr_lowered[o].db(),
                sqnr_ort[o].db(), sqnr_lowered[o].db() - sqnr_ort[o].db());
  std::fflush(stdout);

  for (const auto& o : q.graph.outputs)
    EXPECT_LE(std::fabs(sqnr_lowered[o].db() - sqnr_ort[o].db()), 1.5)
        << o << ": SQNR against FP32 " << sqnr_lowered[o].db() << " dB (lowered graph) vs "
        << sqnr_ort[o].db() << " dB (ONNX Runtime)";
  expect_agreement("teacher-forced reference (QDQ graph) vs ONNX Runtime", forced_q);
  expect_agreement("teacher-forced reference (lowered graph) vs ONNX Runtime", forced_l);
}

ModelCase blazeface() {
  ModelCase mc;
  mc.file = "blazeface.onnx";
  mc.pp.scale = 2.0f / 255.0f;  // [-1, 1], MediaPipe's convention
  mc.pp.mean = {1.0f};
  mc.calib_images = {"astronaut.png", "chelsea.png", "coffee.png"};
  mc.eval_images = mc.calib_images;  // other crops than calibration's
  mc.calib_crops = 4;
  mc.eval_crops = 2;
  return mc;
}

ModelCase ppocr_cls() {
  ModelCase mc;
  mc.file = "ppocr_cls.onnx";
  mc.input_shapes["x"] = {1, 3, 48, 192};
  mc.pp.letterbox = true;
  mc.pp.mean = {0.5f};
  mc.pp.std = {0.5f};
  mc.calib_images = {"text.png", "page.png"};
  mc.eval_images = mc.calib_images;
  mc.calib_crops = 12;
  mc.eval_crops = 5;
  return mc;
}

ModelCase ppocr_det() {
  ModelCase mc;
  mc.file = "ppocr_det.onnx";
  mc.input_shapes["x"] = {1, 3, 320, 320};
  mc.pp.letterbox = true;
  mc.pp.mean = {0.485f, 0.456f, 0.406f};
  mc.pp.std = {0.229f, 0.224f, 0.225f};
  mc.calib_images = {"text.png", "page.png"};
  mc.calib_crops = 1;
  mc.eval_images = {"page.png"};  // the lowered graph takes ~8 s per run at 320x320
  return mc;
}

// YOLOv8n as models/build_yolov8n.py builds it (the cached 640x640 file's
// weights) at 96x96: the same layers, seconds instead of minutes.
ModelCase yolov8n(const std::string& dir) {
  ModelCase mc;
  mc.file = "yolov8n.onnx";
  mc.path = dir + "/yolov8n_96.onnx";
  const std::string cmd = "/usr/bin/python3 '" + std::string(NPUSIM_SOURCE_DIR) +
                          "/models/build_yolov8n.py' --size 96 --output '" + mc.path +
                          "' >/dev/null";
  if (std::system(cmd.c_str()) != 0) ADD_FAILURE() << "failed: " << cmd;
  mc.calib_images = {"astronaut.png", "chelsea.png", "coffee.png"};
  mc.calib_crops = 1;
  mc.eval_images = {"astronaut.png"};
  return mc;
}

TEST(OracleQdq, BlazeFaceAgreesWithOnnxRuntime) {
  check_against_ort(blazeface());
}

TEST(OracleQdq, PpOcrClsAgreesWithOnnxRuntime) {
  check_against_ort(ppocr_cls());
}

TEST(OracleQdq, PpOcrDetAgreesWithOnnxRuntime) {
  check_against_ort(ppocr_det());
}

TEST(OracleQdq, YoloV8nAgreesWithOnnxRuntime) {
  TempDir dir("yolov8n");
  check_against_ort(yolov8n(dir.path()));
}

}  // namespace
}  // namespace npusim::testing
