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

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <stdexcept>

#include "npusim/vision/image_io.hpp"

namespace npusim::vision {

namespace {

[[noreturn]] void fail(const std::string& path, const char* what, const std::string& why) {
  throw std::runtime_error(path + ": " + what + ": " + why);
}

using File = std::unique_ptr<std::FILE, int (*)(std::FILE*)>;

// Opened with the C library rather than by stb, so errno can say why it failed.
File open(const std::string& path, const char* mode, const char* what) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) fail(path, what, "is a directory");
  File f(std::fopen(path.c_str(), mode), std::fclose);
  if (!f) fail(path, what, std::strerror(errno));
  return f;
}

void write_to_file(void* context, void* data, int size) {
  std::fwrite(data, 1, size_t(size), static_cast<std::FILE*>(context));
}

}  // namespace

Image read_image(const std::string& path) {
  constexpr const char* what = "cannot read image";
  File f = open(path, "rb", what);
  int w = 0, h = 0, channels = 0;
  std::unique_ptr<uint8_t, void (*)(void*)> px(stbi_load_from_file(f.get(), &w, &h, &channels, 3),
                                               stbi_image_free);
  if (!px) fail(path, what, std::string(stbi_failure_reason()) + " (PNG, JPEG or BMP expected)");
  Image img{w, h, {}};
  img.rgb.assign(px.get(), px.get() + size_t(w) * size_t(h) * 3);
  return img;
}

void write_png(const Image& image, const std::string& path) {
  constexpr const char* what = "cannot write PNG";
  if (image.w <= 0 || image.h <= 0 || image.rgb.size() != size_t(image.w) * size_t(image.h) * 3)
    fail(path, what,
         "image is " + std::to_string(image.w) + "x" + std::to_string(image.h) + " with " +
             std::to_string(image.rgb.size()) + " bytes (3 per pixel expected)");
  File f = open(path, "wb", what);
  if (!stbi_write_png_to_func(write_to_file, f.get(), image.w, image.h, 3, image.rgb.data(),
                              image.w * 3))
    fail(path, what, "PNG encoding failed");
  if (std::fflush(f.get()) != 0 || std::ferror(f.get())) fail(path, what, std::strerror(errno));
}

}  // namespace npusim::vision
