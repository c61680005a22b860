// Images as model inputs (calibration.hpp): decoded by npusim_images (JPEG
// by libjpeg-turbo, PNG and BMP by stb_image), resized by stb_image_resize
// (stretched or letterboxed), normalised per channel and laid out as the
// input expects.
#define STB_IMAGE_RESIZE_STATIC
#define STB_IMAGE_RESIZE_IMPLEMENTATION
#include <stb/stb_image_resize.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <random>

#include "image_layout.hpp"
#include "npusim/common/files.hpp"
#include "npusim/common/image_decode.hpp"
#include "npusim/common/limits.hpp"
#include "npusim/compiler/calibration.hpp"

namespace npusim::compiler {
namespace {

struct Pixels {
  int w = 0, h = 0, c = 0;
  std::vector<uint8_t> data;  // interleaved, row major
};

// Decoded by npusim_images (image_decode.hpp), which checks the file's
// size, the pixel count and the file's length before decoding.
Pixels decode(const std::string& bytes, const std::string& path, int channels) {
  try {
    images::Pixels px = images::decode(bytes, channels);
    return Pixels{px.width, px.height, px.channels, std::move(px.data)};
  } catch (const images::DecodeError& e) {
    throw CompileError(path + ": cannot decode image (" + e.what() + ")");
  }
}

// Resized to exactly w x h (stretched), or fitted inside with the aspect
// kept, centred and padded (letterbox).
Pixels fit(const Pixels& in, int w, int h, bool letterbox, float pad, const std::string& path) {
  int rw = w, rh = h;
  if (letterbox) {
    const double s = std::min(double(w) / in.w, double(h) / in.h);
    rw = std::clamp(int(std::lround(in.w * s)), 1, w);
    rh = std::clamp(int(std::lround(in.h * s)), 1, h);
  }
  std::vector<uint8_t> resized(size_t(rw) * rh * in.c);
  if (!stbir_resize_uint8(in.data.data(), in.w, in.h, 0, resized.data(), rw, rh, 0, in.c))
    throw CompileError(path + ": cannot resize image to " + std::to_string(rw) + "x" +
                       std::to_string(rh));
  Pixels out{w, h, in.c,
             std::vector<uint8_t>(size_t(w) * h * in.c,
                                  static_cast<uint8_t>(std::clamp(pad, 0.f, 255.f)))};
  const int x0 = (w - rw) / 2, y0 = (h - rh) / 2;
  for (int y = 0; y < rh; ++y)
    std::copy_n(resized.data() + size_t(y) * rw * in.c, size_t(rw) * in.c,
                out.data.data() + (size_t(y + y0) * w + x0) * in.c);
  return out;
}

float channel_value(const std::vector<float>& v, int c) {
  return v.size() == 1 ? v[0] : v[static_cast<size_t>(c)];
}

// A random crop with the aspect ratio w/h, 10-100 % of the largest that fits.
Pixels random_crop(const Pixels& in, double aspect, std::mt19937& rng) {
  const double full_w = std::min<double>(in.w, in.h * aspect);
  const double s = std::uniform_real_distribution<double>(0.1, 1.0)(rng);
  const int cw = std::max(1, int(full_w * s)), ch = std::max(1, int(full_w * s / aspect));
  const int x0 = std::uniform_int_distribution<int>(0, in.w - cw)(rng);
  const int y0 = std::uniform_int_distribution<int>(0, in.h - ch)(rng);
  Pixels out{cw, ch, in.c, std::vector<uint8_t>(size_t(cw) * ch * in.c)};
  for (int y = 0; y < ch; ++y)
    std::copy_n(in.data.data() + (size_t(y + y0) * in.w + x0) * in.c, size_t(cw) * in.c,
                out.data.data() + size_t(y) * cw * in.c);
  return out;
}

Tensor to_tensor(const Pixels& px, const quant::ImageLayout& l, const Shape& shape,
                 const ImagePreprocess& pp) {
  Tensor t(DType::kFloat32, shape);
  auto out = t.as<float>();
  for (int64_t y = 0; y < l.h; ++y)
    for (int64_t x = 0; x < l.w; ++x)
      for (int64_t c = 0; c < l.c; ++c) {
        // stb gives RGB(A); BGR models read the colour channels reversed.
        const int64_t src = pp.bgr && l.c >= 3 && c < 3 ? 2 - c : c;
        const float pixel = px.data[size_t((y * l.w + x) * l.c + src)];
        const int ci = static_cast<int>(c);
        out[l.index(c, y, x)] =
            (pixel * pp.scale - channel_value(pp.mean, ci)) / channel_value(pp.std, ci);
      }
  return t;
}

}  // namespace

std::vector<Tensor> load_image(const std::string& path, const Shape& input_shape,
                               const ImagePreprocess& pp) {
  std::string bytes;
  try {
    bytes = files::read_file(path, limits::kMaxImageFileBytes, "an image file");
  } catch (const files::FileError& e) {
    throw CompileError(e.what());
  }
  return load_image_bytes(bytes, path, input_shape, pp);
}

std::vector<Tensor> load_image_bytes(const std::string& bytes, const std::string& path,
                                     const Shape& input_shape, const ImagePreprocess& pp) {
  const quant::ImageLayout l = quant::image_layout(input_shape, pp.layout, path);
  if (l.w < 1 || l.h < 1 || l.c < 1 || l.c > 4 ||
      uint64_t(l.h) > limits::kMaxImagePixels / uint64_t(l.w))
    throw CompileError(path + ": the input's image size " + std::to_string(l.w) + "x" +
                       std::to_string(l.h) + "x" + std::to_string(l.c) +
                       " is not one an image can fill (1-4 channels, at most " +
                       std::to_string(limits::kMaxImagePixels) + " pixels; docs/limits.md)");
  for (const auto* v : {&pp.mean, &pp.std})
    if (v->size() != 1 && v->size() != size_t(l.c))
      throw CompileError(path + ": --mean/--std have " + std::to_string(v->size()) +
                         " values for an input with " + std::to_string(l.c) + " channels");
  if ((pp.width && pp.width != l.w) || (pp.height && pp.height != l.h))
    throw CompileError(path + ": resize to " + std::to_string(pp.width) + "x" +
                       std::to_string(pp.height) + " does not match the input's W x H " +
                       std::to_string(l.w) + "x" + std::to_string(l.h));
  const Pixels image = decode(bytes, path, static_cast<int>(l.c));
  auto sample = [&](const Pixels& px) {
    return to_tensor(
        fit(px, static_cast<int>(l.w), static_cast<int>(l.h), pp.letterbox, pp.pad_value, path), l,
        input_shape, pp);
  };
  std::vector<Tensor> out = {sample(image)};
  // Seeded by the file name too: the same crops whatever the order of files.
  std::mt19937 rng(pp.crop_seed ^ static_cast<uint32_t>(std::hash<std::string>{}(path)));
  for (int i = 0; i < pp.crops; ++i)
    out.push_back(sample(random_crop(image, double(l.w) / double(l.h), rng)));
  return out;
}

}  // namespace npusim::compiler
