#include "npusim/runtime/image_input.hpp"

#include <cmath>

#include "npusim/runtime/errors.hpp"

namespace npusim::runtime {

namespace {

// The pixels (0..255 as float), resized and laid out as `pp` and the input
// say: load_image with the identity on pixel values.
Tensor pixels(const TensorDesc& input, const std::string& path, compiler::ImagePreprocess pp) {
  pp.scale = 1.0f;
  pp.mean = {0.0f};
  pp.std = {1.0f};
  pp.crops = 0;
  return compiler::load_image(path, input.shape, pp).at(0);
}

Tensor integer_codes(const TensorDesc& input, const Tensor& px) {
  Tensor t(input.dtype, input.shape);
  const auto values = px.as<float>();
  if (input.dtype == DType::kUint8) {
    auto out = t.as<uint8_t>();
    for (size_t i = 0; i < values.size(); ++i) out[i] = static_cast<uint8_t>(values[i]);
  } else {
    auto out = t.as<int8_t>();
    for (size_t i = 0; i < values.size(); ++i) out[i] = static_cast<int8_t>(int(values[i]) - 128);
  }
  return t;
}

}  // namespace

bool rescales_pixels(const compiler::ImagePreprocess& pp) {
  const compiler::ImagePreprocess plain;
  auto all = [](const std::vector<float>& v, float x) {
    for (float e : v)
      if (e != x) return false;
    return !v.empty();
  };
  return std::fabs(pp.scale - plain.scale) > 1e-9f || !all(pp.mean, 0.0f) || !all(pp.std, 1.0f);
}

Tensor image_input(const TensorDesc& input, const std::string& path,
                   const compiler::ImagePreprocess& pp) {
  const bool integer = input.dtype == DType::kUint8 || input.dtype == DType::kInt8;
  if (!integer && input.dtype != DType::kFloat32)
    throw RuntimeError(RuntimeErrorKind::kInvalidInput,
                       path + ": input \"" + input.name + "\" takes " +
                           std::string(compiler::dtype_name(input.dtype)) +
                           ", which an image cannot give (float32, uint8 or int8)");
  try {
    if (!integer) {
      compiler::ImagePreprocess one = pp;
      one.crops = 0;
      return compiler::load_image(path, input.shape, one).at(0);
    }
    return integer_codes(input, pixels(input, path, pp));
  } catch (const compiler::CompileError& e) {
    throw RuntimeError(RuntimeErrorKind::kInvalidInput,
                       std::string(e.what()) + " (input \"" + input.name + "\")");
  }
}

}  // namespace npusim::runtime
