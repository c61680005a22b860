#include "input_options.hpp"

#include <cmath>
#include <sstream>

#include "commands.hpp"
#include "npusim/common/limits.hpp"

namespace po = boost::program_options;

namespace npusim::cli {

namespace {

std::vector<float> parse_numbers(const std::string& s, const std::string& option) {
  std::vector<float> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');)
    out.push_back(static_cast<float>(parse_number(item, option)));
  if (out.empty()) throw UsageError(option + " needs at least one number");
  return out;
}

// "WxH" -> (W, H)
std::pair<int64_t, int64_t> parse_size(const std::string& s, const std::string& option) {
  const auto x = s.find('x');
  try {
    if (x != std::string::npos) {
      const long long w = std::stoll(s.substr(0, x)), h = std::stoll(s.substr(x + 1));
      if (w > 0 && h > 0 && uint64_t(h) <= limits::kMaxImagePixels / uint64_t(w)) return {w, h};
      if (w > 0 && h > 0)
        throw UsageError(option + " " + s + " has more than the " +
                         std::to_string(limits::kMaxImagePixels) +
                         " pixels allowed (docs/limits.md)");
    }
  } catch (const UsageError&) {
    throw;
  } catch (const std::exception&) {
  }
  throw UsageError(option + " takes WIDTHxHEIGHT like 320x320, got \"" + limits::echo(s) + "\"");
}

// A number or a fraction, as written (nan and inf included).
double parse_any_number(const std::string& s, const std::string& option) {
  try {
    const auto slash = s.find('/');
    size_t used = 0;
    if (slash == std::string::npos) {
      const double v = std::stod(s, &used);
      if (used == s.size()) return v;
    } else {
      const double a = std::stod(s.substr(0, slash), &used);
      const double b = std::stod(s.substr(slash + 1));
      if (used == slash && b != 0) return a / b;
    }
  } catch (const std::exception&) {
  }
  throw UsageError(option + " takes a number (or a fraction like 1/255), got \"" + limits::echo(s) +
                   "\"");
}

}  // namespace

std::vector<std::string> split_names(const std::vector<std::string>& specs) {
  std::vector<std::string> out;
  for (const auto& spec : specs) {
    std::stringstream ss(spec);
    for (std::string item; std::getline(ss, item, ',');)
      if (!item.empty()) out.push_back(item);
  }
  return out;
}

double parse_number(const std::string& s, const std::string& option) {
  const double v = parse_any_number(s, option);
  if (!std::isfinite(v))
    throw UsageError(option + " takes a finite number, got \"" + limits::echo(s) + "\"");
  return v;
}

int checked_batch(int batch) {
  if (batch < 1 || batch > limits::kMaxBatch)
    throw UsageError("-b/--batch must be between 1 and " + std::to_string(limits::kMaxBatch) +
                     " (images per request; docs/limits.md), got " + std::to_string(batch));
  return batch;
}

std::pair<std::string, compiler::Shape> parse_input_shape(const std::string& spec) {
  const auto eq = spec.find('=');
  if (eq == std::string::npos || eq == 0)
    throw UsageError("--input-shape takes NAME=DIMS like x=1x3x320x320, got \"" +
                     limits::echo(spec) + "\"");
  compiler::Shape shape;
  std::stringstream dims(spec.substr(eq + 1));
  for (std::string d; std::getline(dims, d, 'x');) {
    size_t used = 0;
    long long v = 0;
    try {
      v = std::stoll(d, &used);
    } catch (const std::exception&) {
    }
    if (used != d.size() || v <= 0)
      throw UsageError("--input-shape " + limits::echo(spec) + ": \"" + limits::echo(d) +
                       "\" is not a positive dimension");
    shape.push_back(v);
  }
  try {
    limits::checked_elements(shape, 4, "--input-shape " + spec.substr(0, eq));
  } catch (const limits::LimitError& e) {
    throw UsageError(e.what());
  }
  return {spec.substr(0, eq), shape};
}

void add_image_options(po::options_description& desc, ImageOptions& o) {
  auto add = desc.add_options();
  add("resize", po::value(&o.resize)->value_name("WxH"), "images: stretch to this size");
  add("letterbox", po::value(&o.letterbox)->value_name("WxH"),
      "images: keep the aspect ratio, pad to this size");
  add("pad-value", po::value(&o.pad_value)->value_name("PIXEL"), "letterbox padding (0)");
  add("scale", po::value(&o.scale)->value_name("S"), "images: pixel * S (1/255)");
  add("mean", po::value(&o.mean)->value_name("M[,M,M]"), "subtracted after scaling (0)");
  add("std", po::value(&o.std)->value_name("S[,S,S]"), "divides after the mean (1)");
  add("channel-order", po::value(&o.order)->value_name("rgb|bgr"), "images: channel order (rgb)");
  add("layout", po::value(&o.layout)->value_name("nchw|nhwc"), "images: input layout (guessed)");
}

compiler::ImagePreprocess to_preprocess(const ImageOptions& a) {
  compiler::ImagePreprocess pp;
  if (!a.resize.empty() && !a.letterbox.empty())
    throw UsageError("give --resize or --letterbox, not both");
  if (!a.resize.empty()) std::tie(pp.width, pp.height) = parse_size(a.resize, "--resize");
  if (!a.letterbox.empty()) std::tie(pp.width, pp.height) = parse_size(a.letterbox, "--letterbox");
  pp.letterbox = !a.letterbox.empty();
  if (!std::isfinite(a.pad_value)) throw UsageError("--pad-value takes a finite number");
  pp.pad_value = a.pad_value;
  pp.scale = static_cast<float>(parse_number(a.scale, "--scale"));
  pp.mean = parse_numbers(a.mean, "--mean");
  pp.std = parse_numbers(a.std, "--std");
  for (float s : pp.std)
    if (s == 0) throw UsageError("--std values must not be 0");
  if (a.order != "rgb" && a.order != "bgr") throw UsageError("--channel-order takes rgb or bgr");
  pp.bgr = a.order == "bgr";
  if (!a.layout.empty() && a.layout != "nchw" && a.layout != "nhwc")
    throw UsageError("--layout takes nchw or nhwc");
  pp.layout = a.layout;
  return pp;
}

}  // namespace npusim::cli
