#include "npusim/common/image_decode.hpp"

#include <turbojpeg.h>

#include <memory>
#include <string>

#include "npusim/common/image_check.hpp"
#include "npusim/common/limits.hpp"

// stb_image for PNG and BMP only, its functions static to this file.
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_ONLY_BMP
#include <stb/stb_image.h>

namespace npusim::images {
namespace {

bool is_jpeg(std::string_view bytes) {
  return bytes.size() >= 2 && static_cast<uint8_t>(bytes[0]) == 0xFF &&
         static_cast<uint8_t>(bytes[1]) == 0xD8;
}

void check_file_size(std::string_view bytes) {
  if (bytes.size() > limits::kMaxImageFileBytes)
    throw DecodeError("larger than the " + std::to_string(limits::kMaxImageFileBytes) +
                      " bytes allowed for an image file (docs/limits.md)");
}

void check_pixels(int width, int height) {
  if (width <= 0 || height <= 0)
    throw DecodeError("it has " + std::to_string(width) + "x" + std::to_string(height) + " pixels");
  if (uint64_t(width) * uint64_t(height) > limits::kMaxImagePixels)
    throw DecodeError("image of " + std::to_string(width) + "x" + std::to_string(height) +
                      " pixels is larger than the " + std::to_string(limits::kMaxImagePixels) +
                      " pixels allowed (docs/limits.md)");
}

void check_channels(int channels) {
  if (channels < 1 || channels > 4)
    throw DecodeError(std::to_string(channels) + " channels asked for: 1 to 4 can be decoded");
}

// ---- JPEG: TurboJPEG ----

using Decompressor = std::unique_ptr<void, int (*)(tjhandle)>;

Decompressor decompressor() {
  Decompressor h(tjInitDecompress(), tjDestroy);
  if (!h) throw DecodeError(std::string("JPEG decoder: ") + tjGetErrorStr2(nullptr));
  return h;
}

[[noreturn]] void jpeg_failed(tjhandle h) {
  throw DecodeError(std::string("corrupt JPEG: ") + tjGetErrorStr2(h));
}

Dimensions jpeg_dimensions(tjhandle h, std::string_view bytes) {
  Dimensions d;
  int subsampling = 0, colorspace = 0;
  if (tjDecompressHeader3(h, reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<unsigned long>(bytes.size()), &d.width, &d.height,
                          &subsampling, &colorspace) != 0)
    jpeg_failed(h);
  return d;
}

// Grey and alpha from grey: alpha 255, as for the other formats.
std::vector<uint8_t> with_alpha(const std::vector<uint8_t>& grey) {
  std::vector<uint8_t> out(grey.size() * 2, 255);
  for (size_t i = 0; i < grey.size(); ++i) out[2 * i] = grey[i];
  return out;
}

// A warning (data that ends early, bytes where a marker belongs) stops the
// decoding as an error: a damaged file is refused, not decoded in part.
Pixels decode_jpeg(std::string_view bytes, int channels) {
  const Decompressor h = decompressor();
  const Dimensions d = jpeg_dimensions(h.get(), bytes);
  check_pixels(d.width, d.height);
  static constexpr int kFormats[5] = {0, TJPF_GRAY, TJPF_GRAY, TJPF_RGB, TJPF_RGBA};
  const int decoded_channels = channels == 2 ? 1 : channels;
  Pixels px{d.width, d.height, channels, {}};
  px.data.resize(size_t(d.width) * size_t(d.height) * size_t(decoded_channels));
  if (tjDecompress2(h.get(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    static_cast<unsigned long>(bytes.size()), px.data.data(), d.width, 0, d.height,
                    kFormats[channels], TJFLAG_STOPONWARNING) != 0)
    jpeg_failed(h.get());
  if (channels == 2) px.data = with_alpha(px.data);
  return px;
}

// ---- PNG and BMP: stb_image ----

Pixels decode_stb(std::string_view file_bytes, int channels) {
  const PngCheck png = check_png(file_bytes);
  if (!png.problem.empty()) throw DecodeError(png.problem);
  const std::string_view bytes = png.repaired ? std::string_view(*png.repaired) : file_bytes;
  const auto* data = reinterpret_cast<const stbi_uc*>(bytes.data());
  const int len = static_cast<int>(bytes.size());
  int w = 0, h = 0, file_channels = 0;
  if (!stbi_info_from_memory(data, len, &w, &h, &file_channels))
    throw DecodeError(std::string(stbi_failure_reason()) + " (PNG, JPEG or BMP expected)");
  check_pixels(w, h);
  if (const std::string problem = truncation_problem(bytes, w, h); !problem.empty())
    throw DecodeError(problem);
  std::unique_ptr<uint8_t, void (*)(void*)> p(
      stbi_load_from_memory(data, len, &w, &h, &file_channels, channels), stbi_image_free);
  if (!p) throw DecodeError(std::string(stbi_failure_reason()) + " (PNG, JPEG or BMP expected)");
  check_pixels(w, h);  // stb_image decodes a BMP of height 0 (found by fuzz_image)
  Pixels px{w, h, channels, {}};
  px.data.assign(p.get(), p.get() + size_t(w) * size_t(h) * size_t(channels));
  return px;
}

}  // namespace

std::optional<Dimensions> dimensions(std::string_view bytes) {
  if (is_jpeg(bytes)) {
    try {
      const Decompressor h = decompressor();
      return jpeg_dimensions(h.get(), bytes);
    } catch (const DecodeError&) {
      return std::nullopt;
    }
  }
  Dimensions d;
  int file_channels = 0;
  if (bytes.size() > limits::kMaxImageFileBytes) return std::nullopt;
  if (!stbi_info_from_memory(reinterpret_cast<const stbi_uc*>(bytes.data()),
                             static_cast<int>(bytes.size()), &d.width, &d.height, &file_channels))
    return std::nullopt;
  return d;
}

Pixels decode(std::string_view bytes, int channels) {
  check_channels(channels);
  check_file_size(bytes);
  return is_jpeg(bytes) ? decode_jpeg(bytes, channels) : decode_stb(bytes, channels);
}

}  // namespace npusim::images
