// Image files: decoded by npusim_images (common/image_decode.hpp), written as
// PNG by stb_image_write (libstb-dev, header-only, static to this file).
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>

#include <stdexcept>
#include <string>

#include "npusim/common/files.hpp"
#include "npusim/common/image_decode.hpp"
#include "npusim/common/limits.hpp"
#include "npusim/vision/image_io.hpp"

namespace npusim::vision {

namespace {

[[noreturn]] void fail(const std::string& path, const char* what, const std::string& why) {
  throw std::runtime_error(path + ": " + what + ": " + why);
}

void append_to_string(void* context, void* data, int size) {
  static_cast<std::string*>(context)->append(static_cast<const char*>(data), size_t(size));
}

}  // namespace

// The file's size is checked before reading it, the image's pixel count
// before decoding it (docs/limits.md): a small file can claim a huge image.
Image read_image(const std::string& path) {
  std::string bytes;
  try {
    bytes = files::read_file(path, limits::kMaxImageFileBytes, "an image file");
  } catch (const files::FileError& e) {
    fail(path, "cannot read image", e.reason());
  }
  return decode_image(bytes, path);
}

Image decode_image(const std::string& bytes, const std::string& path) {
  try {
    images::Pixels px = images::decode(bytes, 3);
    return Image{px.width, px.height, std::move(px.data)};
  } catch (const images::DecodeError& e) {
    fail(path, "cannot read image", e.what());
  }
}

// Encoded in memory, then written atomically (files::write_file).
void write_png(const Image& image, const std::string& path) {
  constexpr const char* what = "cannot write PNG";
  if (image.w <= 0 || image.h <= 0 || image.rgb.size() != size_t(image.w) * size_t(image.h) * 3)
    fail(path, what,
         "image is " + std::to_string(image.w) + "x" + std::to_string(image.h) + " with " +
             std::to_string(image.rgb.size()) + " bytes (3 per pixel expected)");
  std::string png;
  if (!stbi_write_png_to_func(append_to_string, &png, image.w, image.h, 3, image.rgb.data(),
                              image.w * 3))
    fail(path, what, "PNG encoding failed");
  try {
    files::write_file(path, png);
  } catch (const files::FileError& e) {
    fail(path, what, e.reason());
  }
}

}  // namespace npusim::vision
