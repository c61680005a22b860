// Image files through stb (libstb-dev, header-only as in
// compiler-backend/src/quantize/image.cpp). The implementations are static to
// this file so they cannot clash with the compiler's copy of stb_image.
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_ONLY_BMP
#include <stb/stb_image.h>
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "npusim/common/files.hpp"
#include "npusim/common/image_check.hpp"
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

// The file's size (read_image) and the image's pixel count are checked
// before decoding (docs/limits.md): a small file can claim a huge image; and
// a JPEG's Huffman tables, which stb_image does not check (image_check.hpp).
Image read_image(const std::string& path) {
  std::string bytes;
  try {
    bytes = files::read_file(path, limits::kMaxImageFileBytes, "an image file");
  } catch (const files::FileError& e) {
    fail(path, "cannot read image", e.reason());
  }
  return decode_image(bytes, path);
}

Image decode_image(const std::string& file_bytes, const std::string& path) {
  const std::optional<std::string> repaired = images::png_without_leading_empty_idat(file_bytes);
  const std::string& bytes = repaired ? *repaired : file_bytes;
  constexpr const char* what = "cannot read image";
  if (bytes.size() > limits::kMaxImageFileBytes)
    fail(path, what,
         std::to_string(bytes.size()) + " bytes is more than the " +
             std::to_string(limits::kMaxImageFileBytes) + " allowed (docs/limits.md)");
  if (const std::string problem = images::jpeg_problem(bytes); !problem.empty())
    fail(path, what, problem);
  const auto* data = reinterpret_cast<const stbi_uc*>(bytes.data());
  const int len = static_cast<int>(bytes.size());
  int w = 0, h = 0, channels = 0;
  if (!stbi_info_from_memory(data, len, &w, &h, &channels))
    fail(path, what, std::string(stbi_failure_reason()) + " (PNG, JPEG or BMP expected)");
  if (uint64_t(w) * uint64_t(h) > limits::kMaxImagePixels)
    fail(path, what,
         std::to_string(w) + "x" + std::to_string(h) + " pixels is more than the " +
             std::to_string(limits::kMaxImagePixels) + " allowed (docs/limits.md)");
  if (const std::string problem = images::truncation_problem(bytes, w, h); !problem.empty())
    fail(path, what, problem);
  std::unique_ptr<uint8_t, void (*)(void*)> px(
      stbi_load_from_memory(data, len, &w, &h, &channels, 3), stbi_image_free);
  if (!px) fail(path, what, std::string(stbi_failure_reason()) + " (PNG, JPEG or BMP expected)");
  Image img{w, h, {}};
  img.rgb.assign(px.get(), px.get() + size_t(w) * size_t(h) * 3);
  return img;
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
