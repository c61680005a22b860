// npusim quantize: an FP32 ONNX model to an int8 QDQ model. Calibrates on
// images, .npy files or random data, writes the model atomically and prints
// the accuracy of the QDQ model against FP32 on held-back inputs.
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "commands.hpp"
#include "input_options.hpp"
#include "npusim/common/files.hpp"
#include "npusim/compiler/lower_quantized.hpp"
#include "npusim/compiler/onnx_io.hpp"
#include "npusim/compiler/quantizer.hpp"
#include "parse_options.hpp"
#include "program_files.hpp"
#include "quantize_sensitivity.hpp"

namespace po = boost::program_options;

namespace npusim::cli {
namespace {

using compiler::AccuracyReport;
using compiler::QuantizedModel;
using compiler::RangeMethod;
using compiler::TensorMap;

struct QuantizeArgs {
  std::string model, output, method = "percentile-asym", save_ranges, load_ranges;
  std::string sensitivity_json, sensitivity_csv;
  double percentile = 99.99;
  std::vector<std::string> calib, eval, input_shapes, input_types, outputs;
  size_t calib_count = 16, top = 10;
  int holdout = 0;
  uint32_t seed = 1;
  bool compare = false, quiet = false, no_bias_correction = false, sensitivity = false;
  ImageOptions image;
  int crops = 0;
};

// ---- option parsing ----------------------------------------------------------

std::map<std::string, compiler::DType> parse_input_types(const std::vector<std::string>& specs) {
  std::map<std::string, compiler::DType> out;
  for (const auto& spec : specs) {
    const auto eq = spec.find('=');
    const std::string type = eq == std::string::npos ? "" : spec.substr(eq + 1);
    if (eq == 0 || (type != "uint8" && type != "int8"))
      throw UsageError("--input-type takes NAME=uint8 or NAME=int8, got \"" + spec + "\"");
    out[spec.substr(0, eq)] = type == "uint8" ? compiler::DType::kUint8 : compiler::DType::kInt8;
  }
  return out;
}

compiler::ImagePreprocess preprocess_of(const QuantizeArgs& a) {
  compiler::ImagePreprocess pp = to_preprocess(a.image);
  if (a.crops < 0) throw UsageError("--crops takes a count >= 0");
  pp.crops = a.crops;
  pp.crop_seed = a.seed;
  return pp;
}

QuantizeArgs parse_args(const Args& args) {
  QuantizeArgs a;
  po::options_description desc("quantize options");
  auto add = desc.add_options();
  add("model", po::value(&a.model)->required()->value_name("MODEL.onnx"), "FP32 ONNX model");
  add("output,o", po::value(&a.output)->value_name("OUT.onnx"),
      "QDQ model to write (default: MODEL.int8.onnx beside the model)");
  add("method,m", po::value(&a.method)->value_name("NAME"),
      "minmax, percentile, entropy, mse or sqnr, each -asym or -sym (default percentile-asym)");
  add("percentile", po::value(&a.percentile)->value_name("P"), "percentile: share kept, % (99.99)");
  add("calib", po::value(&a.calib)->multitoken()->composing()->value_name("SPEC..."),
      "calibration data: DIR, FILE.npy, IMAGE, NAME=SPEC or random. random: uniform pixels "
      "0..255 through --scale/--mean/--std, so values span what images give: [0, 1] by "
      "default, [-1, 1] with --scale 2/255 --mean 1");
  add("calib-count", po::value(&a.calib_count)->value_name("N"), "random inputs to draw (16)");
  add("eval", po::value(&a.eval)->multitoken()->composing()->value_name("SPEC..."),
      "evaluation data (default: inputs held back from --calib)");
  add("holdout", po::value(&a.holdout)->value_name("N"),
      "hold the last N calibration inputs back for the accuracy report instead of "
      "calibrating on them (0: calibrate on all, report on them too)");
  add("input-shape", po::value(&a.input_shapes)->composing()->value_name("NAME=DIMS"),
      "static shape for a dynamic input, e.g. x=1x3x320x320");
  add("outputs", po::value(&a.outputs)->multitoken()->composing()->value_name("NAME..."),
      "cut the FP32 graph at these tensors first (names, or A,B,...): they become the "
      "outputs, quantised, so the ops producing them stay on the NPU");
  add("input-type", po::value(&a.input_types)->composing()->value_name("NAME=uint8|int8"),
      "the input takes integer codes (no QuantizeLinear on the host)");
  add_image_options(desc, a.image);
  add("crops", po::value(&a.crops)->value_name("N"),
      "images: also N random crops of each (input's aspect, 10-100 % size)");
  add("save-ranges", po::value(&a.save_ranges)->value_name("FILE"), "write the ranges (JSON)");
  add("load-ranges", po::value(&a.load_ranges)->value_name("FILE"),
      "use saved ranges instead of calibrating");
  add("no-bias-correction", po::bool_switch(&a.no_bias_correction),
      "keep the float biases as they are (default: absorb the weights' mean error)");
  add("compare-methods", po::bool_switch(&a.compare), "quantise with every method, print a table");
  add("sensitivity", po::bool_switch(&a.sensitivity),
      "per layer: the output SQNR with only that activation or weight tensor quantised, "
      "the rest float, worst first (one model run per layer and evaluation input)");
  add("sensitivity-json", po::value(&a.sensitivity_json)->value_name("FILE"),
      "--sensitivity, and write every row as JSON");
  add("sensitivity-csv", po::value(&a.sensitivity_csv)->value_name("FILE"),
      "--sensitivity, and write every row as CSV");
  add("top", po::value(&a.top)->value_name("N"),
      "least accurate activations and most sensitive layers to list (10)");
  add("seed", po::value(&a.seed)->value_name("N"), "seed of random calibration data (1)");
  add("quiet,q", po::bool_switch(&a.quiet), "no progress bar");
  po::positional_options_description pos;
  pos.add("model", 1);
  parse_options(args, "npusim quantize MODEL.onnx [-o OUT.onnx] [options]", desc, pos);
  if (a.output.empty()) a.output = beside(a.model, ".int8.onnx");
  a.sensitivity = a.sensitivity || !a.sensitivity_json.empty() || !a.sensitivity_csv.empty();
  return a;
}

// ---- progress ------------------------------------------------------------------

// A bar on stderr for runs longer than a second, when stderr is a terminal.
compiler::ProgressFn progress_bar(const std::string& what, bool quiet) {
  if (quiet || !isatty(STDERR_FILENO)) return {};
  const auto start = std::chrono::steady_clock::now();
  return [what, start](size_t done, size_t total) {
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (s < 1.0 && done < total) return;
    const size_t width = 30, filled = total ? width * done / total : width;
    std::cerr << "\r" << what << " [" << std::string(filled, '#')
              << std::string(width - filled, '.') << "] " << done << "/" << total << std::fixed
              << std::setprecision(1) << "  " << s << " s" << (done == total ? "\n" : "")
              << std::flush;
  };
}

// ---- data ------------------------------------------------------------------------

std::string num(double v, int precision = 4);

struct Data {
  std::vector<TensorMap> calib, eval;
  std::string calib_note, eval_note, random_note;
  bool eval_is_calib = false;  // the report measures on inputs calibration saw
};

// What `random` calibration draws: the range the preprocessing maps the
// pixels 0..255 to, per channel, for the report.
std::string random_note(const QuantizeArgs& a, const compiler::ImagePreprocess& pp) {
  bool random = false;
  for (const auto& spec : a.calib) random = random || spec == "random" || spec.ends_with("=random");
  if (!random) return "";
  std::ostringstream s;
  s << "random: uniform pixels 0..255 through --scale/--mean/--std, values in ";
  const size_t channels = std::max(pp.mean.size(), pp.std.size());
  for (size_t c = 0; c < channels; ++c) {
    const float mean = pp.mean.size() > c ? pp.mean[c] : pp.mean[0];
    const float sd = pp.std.size() > c ? pp.std[c] : pp.std[0];
    const float lo = (0 - mean) / sd, hi = (255 * pp.scale - mean) / sd;
    s << (c ? ", " : "") << "[" << num(std::min(lo, hi), 4) << ", " << num(std::max(lo, hi), 4)
      << "]";
  }
  return s.str() + " (give the model's own preprocessing if it expects another range)";
}

Data load_data(const compiler::Graph& g, const QuantizeArgs& a,
               const compiler::ImagePreprocess& pp) {
  Data d;
  if (a.calib.empty() && a.load_ranges.empty())
    throw UsageError(
        "no calibration data: give --calib DIR|FILE.npy|IMAGE|random (or --load-ranges FILE)");
  if (!a.calib.empty()) d.calib = compiler::load_inputs(g, a.calib, pp, a.calib_count, a.seed);
  d.random_note = random_note(a, pp);
  if (!a.eval.empty()) {
    compiler::ImagePreprocess other_crops = pp;  // the same images give other crops
    other_crops.crop_seed = pp.crop_seed + 1;
    d.eval = compiler::load_inputs(g, a.eval, other_crops, a.calib_count, a.seed + 1);
    d.eval_note = std::to_string(d.eval.size()) + " --eval input(s)";
    return d;
  }
  if (d.calib.empty()) {  // --load-ranges alone: evaluate on random data
    d.eval = compiler::load_inputs(g, {"random"}, pp, 4, a.seed + 1);
    d.eval_note = "4 random inputs";
    return d;
  }
  const size_t n = d.calib.size();
  if (a.holdout < 0) throw UsageError("--holdout takes a count >= 0");
  const size_t hold = static_cast<size_t>(a.holdout);
  if (hold >= n)
    throw UsageError("--holdout " + std::to_string(hold) + " leaves no calibration input (of " +
                     std::to_string(n) + ")");
  if (hold == 0) {
    d.eval = d.calib;
    d.eval_note = "the " + std::to_string(n) + " calibration input(s)";
    d.eval_is_calib = true;
    return d;
  }
  d.eval.assign(d.calib.end() - static_cast<std::ptrdiff_t>(hold), d.calib.end());
  d.calib.resize(n - hold);
  d.calib_note = " (" + std::to_string(hold) + " of " + std::to_string(n) +
                 " held back by --holdout for the report)";
  d.eval_note = std::to_string(hold) + " held-back input(s)";
  return d;
}

// ---- output file -----------------------------------------------------------------

// Checks the model reads back (ONNX checker, shape inference), then writes
// it atomically (files::write_file): a failed run leaves no partial output.
void write_model(const compiler::Graph& g, const std::string& path) {
  const std::string bytes = compiler::export_onnx_bytes(g);
  compiler::import_onnx_bytes(bytes, path);
  files::write_file(path, bytes);
}

// ---- report ------------------------------------------------------------------------

std::string db(double v) {
  std::ostringstream s;
  if (std::isinf(v))
    s << (v > 0 ? "exact" : "-inf");
  else
    s << std::fixed << std::setprecision(1) << v;
  return s.str();
}

std::string num(double v, int precision) {
  std::ostringstream s;
  s << std::setprecision(precision) << v;
  return s.str();
}

// What lower_quantized (the compiler's first stage) makes of the model.
std::string compiler_preview(const compiler::Graph& g) {
  compiler::Graph copy = g;
  std::map<std::string, int> npu;
  std::vector<std::string> left;
  for (const auto& note : compiler::lower_quantized(copy)) {
    if (note.result.rfind("Q", 0) == 0 && note.result.find(' ') == std::string::npos)
      ++npu[note.result];
    else
      left.push_back(note.node + ": " + note.result);
  }
  std::string s;
  for (const auto& [op, n] : npu) s += (s.empty() ? "" : ", ") + op + " " + std::to_string(n);
  s = s.empty() ? "no NPU ops" : s;
  std::sort(left.begin(), left.end());
  left.erase(std::unique(left.begin(), left.end()), left.end());
  for (size_t i = 0; i < left.size() && i < 5; ++i) s += "\n           CPU: " + left[i];
  if (left.size() > 5) s += "\n           ... and " + std::to_string(left.size() - 5) + " more";
  return s;
}

// Whether an integer input's codes are the raw pixels under the image
// preprocessing given, as `npusim run -i IMAGE` and runtime::image_input
// feed them: each pixel 0..255 as a code must stand for its preprocessed
// value within half a step (what rounding allows). It holds when
// calibration spanned the pixels 0..255.
std::string pixel_codes_note(const compiler::ActivationQuant& iq, compiler::DType type,
                             const compiler::ImagePreprocess& pp) {
  const int offset = type == compiler::DType::kInt8 ? 128 : 0;
  const size_t channels = std::max(pp.mean.size(), pp.std.size());
  double worst = 0;
  int worst_pixel = 0;
  for (size_t c = 0; c < channels; ++c) {
    const float mean = pp.mean.size() > c ? pp.mean[c] : pp.mean[0];
    const float sd = pp.std.size() > c ? pp.std[c] : pp.std[0];
    for (int p = 0; p < 256; ++p) {
      const double value = (double(p) * pp.scale - mean) / sd;
      const double off = std::fabs((p - offset - iq.zero_point) - value / iq.scale);
      if (off > worst) worst = off, worst_pixel = p;
    }
  }
  if (worst <= 0.5 + 1e-3)
    return "with this image preprocessing the codes are the raw pixels" +
           std::string(offset ? " - 128" : "") + ": npusim run -i IMAGE feeds them";
  return "warning: the codes are not the raw pixels (pixel " + std::to_string(worst_pixel) +
         " is " + num(worst, 3) +
         " steps off): calibration did not span the pixels 0..255 with this preprocessing; feed "
         "codes round(value / scale) + zero point, or calibrate on data that does";
}

void print_summary(const QuantizeArgs& a, const compiler::QuantPlan& plan, const QuantizedModel& q,
                   const std::vector<std::string>& notes, const Data& d, bool bias_corrected,
                   const compiler::ImagePreprocess& pp) {
  std::cout << "model      " << a.model << "\n";
  for (const auto& n : notes) std::cout << "           " << n << "\n";
  std::cout << "method     " << a.method
            << (a.method.rfind("percentile", 0) == 0 ? " (" + num(a.percentile, 6) + " %)" : "")
            << ", "
            << (a.load_ranges.empty()
                    ? std::to_string(d.calib.size()) + " calibration input(s)" + d.calib_note
                    : "ranges from " + a.load_ranges)
            << "\n";
  if (a.load_ranges.empty() && !d.random_note.empty())
    std::cout << "           " << d.random_note << "\n";
  std::cout << "quantised  " << plan.activations.size() << " activations (int8 per tensor), "
            << plan.weights.size() << " weights (int8 per channel), " << plan.biases.size()
            << " biases (int32" << (bias_corrected ? ", bias-corrected" : "") << ")\n";
  if (!plan.float_nodes.empty()) {
    std::cout << "float ops  " << plan.float_nodes.size() << ":";
    for (size_t i = 0; i < plan.float_nodes.size() && i < 6; ++i)
      std::cout << (i ? ", " : " ") << plan.float_nodes[i];
    std::cout << (plan.float_nodes.size() > 6 ? ", ..." : "") << "\n";
  }
  for (const auto& [name, iq] : q.integer_inputs) {
    const compiler::DType type = q.graph.value(name).dtype;
    std::cout << "input      " << name << " takes " << compiler::dtype_name(type)
              << " codes: real = " << num(iq.scale, 6) << " * (q - " << iq.zero_point << ")\n"
              << "           " << pixel_codes_note(iq, type, pp) << "\n";
  }
  for (const auto& n : q.notes) std::cout << "note       " << n << "\n";
  std::cout << "compiler   " << compiler_preview(q.graph) << "\n";
}

void print_accuracy(const AccuracyReport& r, const Data& d, size_t top) {
  std::cout << "\naccuracy on " << d.eval_note << ": QDQ vs FP32 (reference executor)\n";
  if (d.eval_is_calib)
    std::cout << "(inputs calibration saw: --eval SPEC or --holdout N measure on unseen data)\n";
  size_t w = 8;
  for (const auto& o : r.outputs) w = std::max(w, o.name.size());
  std::cout << "  " << std::left << std::setw(int(w)) << "output" << std::right << std::setw(10)
            << "SQNR dB" << std::setw(11) << "cosine" << std::setw(12) << "max |err|"
            << std::setw(15) << "weights only" << std::setw(13) << "acts only\n";
  for (const auto& o : r.outputs)
    std::cout << "  " << std::left << std::setw(int(w)) << o.name << std::right << std::setw(10)
              << db(o.sqnr_db) << std::setw(11) << std::fixed << std::setprecision(5) << o.cosine
              << std::setw(12) << std::defaultfloat << std::setprecision(4) << o.max_abs_error
              << std::setw(15) << db(o.weights_only_db) << std::setw(12)
              << db(o.activations_only_db)
              << (o.top1_agreement < 0
                      ? ""
                      : "   top-1 agrees on " + num(100 * o.top1_agreement, 3) + " %")
              << "\n";
  if (r.layers.empty() || top == 0) return;
  std::cout << "\nleast accurate activations (SQNR in the QDQ model; own: this quantisation "
               "alone; clipped: share outside the range)\n";
  std::cout << "  " << std::right << std::setw(8) << "SQNR dB" << std::setw(9) << "own dB"
            << std::setw(10) << "clipped"
            << "  tensor\n";
  for (size_t i = 0; i < r.layers.size() && i < top; ++i) {
    const auto& l = r.layers[i];
    std::cout << "  " << std::setw(8) << db(l.sqnr_db) << std::setw(9) << db(l.local_db)
              << std::setw(9) << std::fixed << std::setprecision(3) << 100 * l.clipped << "%  "
              << l.tensor << "\n";
  }
}

// ---- sensitivity -------------------------------------------------------------------

void run_sensitivity(const compiler::Graph& g, const compiler::QuantPlan& plan,
                     const QuantizedModel& q, const Data& d, const QuantizeArgs& a) {
  SensitivityReport r;
  r.model = a.model;
  r.outputs = g.outputs;
  r.inputs_note = d.eval_note;
  compiler::SensitivityOptions o;
  o.progress = progress_bar("sensitivity", a.quiet);
  const auto start = std::chrono::steady_clock::now();
  r.rows = compiler::quantization_sensitivity(g, plan, q, d.eval, o);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  print_sensitivity(r, a.top);
  if (!a.sensitivity_json.empty()) {
    files::write_file(a.sensitivity_json, sensitivity_json(r));
    std::cout << "written    " << a.sensitivity_json << "\n";
  }
  if (!a.sensitivity_csv.empty()) {
    files::write_file(a.sensitivity_csv, sensitivity_csv(r));
    std::cout << "written    " << a.sensitivity_csv << "\n";
  }
}

// ---- the runs --------------------------------------------------------------------

struct Run {
  compiler::RangeTable ranges;
  QuantizedModel model;
};

Run quantize_with(const compiler::Graph& g, const compiler::QuantPlan& plan,
                  const compiler::Calibration& c, const RangeMethod& m,
                  const compiler::QuantizeOptions& base) {
  compiler::QuantizeOptions o = base;
  o.symmetric = m.symmetric;
  Run r;
  r.ranges = compiler::compute_ranges(g, c, plan, m);
  r.model = compiler::quantize_graph(g, plan, r.ranges, o);
  return r;
}

// One table row: SQNR per output, the worst, the lowest cosine and (for
// classifiers) the lowest top-1 agreement.
void print_method_row(const std::string& name, const AccuracyReport& acc) {
  double worst = INFINITY, cosine = 1, top1 = 2;
  std::cout << "  " << std::left << std::setw(18) << name << std::right;
  for (const auto& o : acc.outputs) {
    std::cout << std::setw(9) << db(o.sqnr_db);
    worst = std::min(worst, o.sqnr_db);
    cosine = std::min(cosine, o.cosine);
    if (o.top1_agreement >= 0) top1 = std::min(top1, o.top1_agreement);
  }
  std::cout << std::setw(9) << db(worst) << std::setw(10) << std::fixed << std::setprecision(5)
            << cosine << std::defaultfloat;
  if (top1 <= 1) std::cout << std::setw(8) << num(100 * top1, 3) << " %";
  std::cout << "\n";
}

void compare_methods(const compiler::Graph& g, const compiler::QuantPlan& plan,
                     const compiler::Calibration& c, const QuantizeArgs& a,
                     const compiler::QuantizeOptions& base, const Data& d) {
  std::cout << "\nmethods compared on " << d.eval_note << " (output SQNR dB, QDQ vs FP32)\n";
  std::cout << "  " << std::left << std::setw(18) << "method" << std::right;
  for (size_t i = 0; i < g.outputs.size(); ++i)
    std::cout << std::setw(9) << "out" + std::to_string(i);
  bool classifier = false;
  for (const auto& o : g.outputs) {
    const compiler::Shape& s = g.value(o).shape;
    classifier = classifier || (s.size() == 2 && s[0] == 1 && s[1] >= 2);
  }
  std::cout << std::setw(9) << "min" << std::setw(10) << "cosine"
            << (classifier ? "     top-1" : "") << "\n";
  compiler::AccuracyOptions ao;
  ao.per_layer = false;
  for (const auto& m : compiler::all_range_methods(a.percentile)) {
    const Run r = quantize_with(g, plan, c, m, base);
    print_method_row(compiler::range_method_name(m),
                     compiler::evaluate_accuracy(g, r.model, d.eval, ao));
  }
  for (size_t i = 0; i < g.outputs.size(); ++i)
    std::cout << "  out" << i << " = " << g.outputs[i] << "\n";
}

}  // namespace

int cmd_quantize(const Args& args) {
  QuantizeArgs a = parse_args(args);
  for (const std::string* f : {&a.sensitivity_json, &a.sensitivity_csv})
    if (!f->empty()) files::check_writable(*f);  // before the long part
  if (a.compare && !a.load_ranges.empty())
    throw UsageError("--compare-methods needs calibration data, not --load-ranges");
  RangeMethod method;
  try {
    method = compiler::parse_range_method(a.method, a.percentile);
  } catch (const std::invalid_argument& e) {  // a bad --method or --percentile: exit status 2
    throw UsageError(e.what());
  }
  a.method = compiler::range_method_name(method);
  const compiler::ImagePreprocess pp = preprocess_of(a);
  compiler::PrepareOptions prepare;
  for (const auto& spec : a.input_shapes) prepare.input_shapes.insert(parse_input_shape(spec));
  prepare.outputs = split_names(a.outputs);
  compiler::QuantizeOptions options;
  options.input_types = parse_input_types(a.input_types);
  options.symmetric = method.symmetric;

  std::vector<std::string> notes;
  const compiler::Graph g = compiler::prepare_model(a.model, prepare, &notes);
  const compiler::QuantPlan plan = compiler::plan_quantization(g);
  const Data d = load_data(g, a, pp);
  compiler::Calibration calibration;
  Run run;
  if (a.load_ranges.empty()) {
    calibration = compiler::calibrate_plan(g, plan, d.calib, progress_bar("calibrating", a.quiet));
    if (!a.no_bias_correction) options.channel_means = calibration.channel_means;
    run = quantize_with(g, plan, calibration, method, options);
  } else {
    run.ranges = compiler::load_ranges(a.load_ranges, plan, &calibration.channel_means);
    if (!a.no_bias_correction) options.channel_means = calibration.channel_means;
    run.model = compiler::quantize_graph(g, plan, run.ranges, options);
  }
  compiler::AccuracyOptions ao;
  ao.split = true;
  ao.progress = progress_bar("evaluating", a.quiet);
  const AccuracyReport acc = compiler::evaluate_accuracy(g, run.model, d.eval, ao);
  if (!a.save_ranges.empty())
    compiler::save_ranges(a.save_ranges, run.ranges, method, a.model, calibration.channel_means);
  write_model(run.model.graph, a.output);
  print_summary(a, plan, run.model, notes, d, !options.channel_means.empty(), pp);
  std::cout << "written    " << a.output << " (" << std::filesystem::file_size(a.output)
            << " bytes)\n";
  print_accuracy(acc, d, a.top);
  if (a.compare) compare_methods(g, plan, calibration, a, options, d);
  if (a.sensitivity) run_sensitivity(g, plan, run.model, d, a);
  return 0;
}

}  // namespace npusim::cli
