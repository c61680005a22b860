// Calibration inputs from command-line specs (calibration.hpp): folders,
// .npy files, images and random data, checked against the graph's inputs.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <random>

#include "image_layout.hpp"
#include "npusim/compiler/calibration.hpp"
#include "passes.hpp"

namespace npusim::compiler {
namespace fs = std::filesystem;

namespace quant {

ImageLayout image_layout(const Shape& s, const std::string& layout, const std::string& what) {
  if (s.size() != 4 || s[0] != 1)
    throw CompileError(what +
                       ": an image needs an input of shape [1, C, H, W] or [1, H, W, C], "
                       "the input is " +
                       shape_string(s));
  std::string upper = layout;
  std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
  auto channels_like = [](int64_t d) { return d == 1 || d == 3 || d == 4; };
  bool nhwc = channels_like(s[3]) && !channels_like(s[1]);
  if (upper == "NHWC" || upper == "NCHW")
    nhwc = upper == "NHWC";
  else if (!upper.empty())
    throw CompileError(what + ": unknown layout \"" + layout + "\" (nchw or nhwc)");
  return nhwc ? ImageLayout{true, s[3], s[1], s[2]} : ImageLayout{false, s[1], s[2], s[3]};
}

void check_inputs(const Graph& g) {
  for (const auto& name : g.inputs) {
    const Value& v = g.value(name);
    if (v.dtype != DType::kFloat32)
      throw CompileError("input '" + name + "' has dtype " + std::string(dtype_name(v.dtype)) +
                         ": only float32 inputs can be calibrated and quantised");
    if (!v.rank_known)
      throw CompileError("input '" + name + "' has a dynamic shape: give it with --input-shape " +
                         name + "=1x3xHxW (for example)");
  }
}

}  // namespace quant

namespace {

std::string lower_extension(const fs::path& p) {
  std::string e = p.extension().string();
  std::transform(e.begin(), e.end(), e.begin(), ::tolower);
  return e;
}

bool is_image(const fs::path& p) {
  const std::string e = lower_extension(p);
  return e == ".png" || e == ".jpg" || e == ".jpeg" || e == ".bmp";
}

// A .npy file as samples of `input`: its exact shape, or a leading batch
// axis of samples ([N, ...] replacing a batch of 1, or [N, *shape]).
std::vector<Tensor> npy_samples(const std::string& path, const std::string& input,
                                const Shape& shape) {
  Tensor t = read_npy(path);
  if (t.dtype() != DType::kFloat32)
    throw CompileError(path + ": has dtype " + std::string(dtype_name(t.dtype())) + ", input '" +
                       input + "' takes float32");
  const Shape& s = t.shape();
  if (s == shape) return {t};
  const bool replaces_batch =
      !s.empty() && !shape.empty() && shape[0] == 1 &&
      Shape(s.begin() + 1, s.end()) == Shape(shape.begin() + 1, shape.end());
  const bool adds_batch = s.size() == shape.size() + 1 && Shape(s.begin() + 1, s.end()) == shape;
  if (!replaces_batch && !adds_batch)
    throw CompileError(path + ": shape " + shape_string(s) + " does not match input '" + input +
                       "' of shape " + shape_string(shape) + " (nor N samples of it)");
  std::vector<Tensor> out;
  const size_t bytes = t.bytes() / static_cast<size_t>(s[0]);
  for (int64_t i = 0; i < s[0]; ++i) {
    Tensor sample(DType::kFloat32, shape);
    std::copy_n(t.raw().data() + i * bytes, bytes, sample.raw().data());
    out.push_back(std::move(sample));
  }
  return out;
}

std::vector<Tensor> file_samples(const fs::path& p, const std::string& input, const Shape& shape,
                                 const ImagePreprocess& pp) {
  if (lower_extension(p) == ".npy") return npy_samples(p.string(), input, shape);
  if (is_image(p)) return load_image(p.string(), shape, pp);
  throw CompileError(p.string() + ": not a .npy or image file (.png, .jpg, .jpeg, .bmp)");
}

std::vector<Tensor> spec_samples(const std::string& spec, const std::string& input,
                                 const Shape& shape, const ImagePreprocess& pp) {
  const fs::path p(spec);
  std::error_code ec;
  if (fs::is_directory(p, ec)) {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(p))
      if (e.is_regular_file() && (is_image(e.path()) || lower_extension(e.path()) == ".npy"))
        files.push_back(e.path());
    if (files.empty()) throw CompileError(spec + ": no .npy or image files in the folder");
    std::sort(files.begin(), files.end());
    std::vector<Tensor> out;
    for (const auto& f : files)
      for (auto& t : file_samples(f, input, shape, pp)) out.push_back(std::move(t));
    return out;
  }
  if (!fs::exists(p, ec)) throw CompileError(spec + ": no such file or folder");
  return file_samples(p, input, shape, pp);
}

// Random pixels 0..255 (integers, as images have) through the preprocessing,
// so values span what real images give, both ends included.
Tensor random_sample(const Shape& shape, const ImagePreprocess& pp, std::mt19937& rng) {
  Tensor t(DType::kFloat32, shape);
  auto out = t.as<float>();
  quant::ImageLayout l;
  bool image = true;
  try {
    l = quant::image_layout(shape, pp.layout, "");
  } catch (const CompileError&) {
    image = false;
  }
  std::uniform_int_distribution<int> pixel(0, 255);
  for (size_t i = 0; i < out.size(); ++i) {
    const int64_t ch = !image ? 0 : l.nhwc ? int64_t(i) % l.c : int64_t(i) / (l.h * l.w);
    const auto c = static_cast<size_t>(ch);
    const float mean = pp.mean.size() > c ? pp.mean[c] : pp.mean[0];
    const float sd = pp.std.size() > c ? pp.std[c] : pp.std[0];
    out[i] = (float(pixel(rng)) * pp.scale - mean) / sd;
  }
  return t;
}

std::map<std::string, Shape> input_shapes(const Graph& g) {
  quant::check_inputs(g);
  std::map<std::string, Shape> shapes;
  for (const auto& name : g.inputs) shapes[name] = g.value(name).shape;
  return shapes;
}

}  // namespace

std::vector<TensorMap> load_inputs(const Graph& g, const std::vector<std::string>& specs,
                                   const ImagePreprocess& pp, size_t random_count, uint32_t seed) {
  const auto shapes = input_shapes(g);
  std::map<std::string, std::vector<Tensor>> samples;
  std::mt19937 rng(seed);
  for (const std::string& spec : specs) {
    if (spec == "random") {
      for (const auto& [name, shape] : shapes)
        for (size_t i = 0; i < random_count; ++i)
          samples[name].push_back(random_sample(shape, pp, rng));
      continue;
    }
    std::string input, what = spec;
    const auto eq = spec.find('=');
    if (eq != std::string::npos && shapes.count(spec.substr(0, eq))) {
      input = spec.substr(0, eq);
      what = spec.substr(eq + 1);
    } else if (shapes.size() == 1) {
      input = shapes.begin()->first;
    } else {
      throw CompileError("--calib " + spec + ": the model has " + std::to_string(shapes.size()) +
                         " inputs; name the input as NAME=" + spec);
    }
    for (auto& t : spec_samples(what, input, shapes.at(input), pp))
      samples[input].push_back(std::move(t));
  }
  size_t count = 0;
  for (const auto& [name, shape] : shapes) {
    const size_t n = samples[name].size();
    if (n == 0) throw CompileError("no calibration data for input '" + name + "'");
    if (count != 0 && n != count)
      throw CompileError("inputs have different numbers of calibration samples (" +
                         std::to_string(count) + " and " + std::to_string(n) + " for '" + name +
                         "')");
    count = n;
  }
  std::vector<TensorMap> out(count);
  for (auto& [name, list] : samples)
    for (size_t i = 0; i < count; ++i) out[i][name] = std::move(list[i]);
  return out;
}

}  // namespace npusim::compiler
