// Image files (PNG, JPEG, BMP) decoded into 8-bit pixels, for model inputs
// (compiler-backend's quantize/image.cpp) and for the photos the vision
// tools draw on (tools/vision). One decoder, so both read a file alike.
//
// JPEG goes to libjpeg-turbo's TurboJPEG API (libturbojpeg0-dev), which
// refuses corrupt and truncated data instead of decoding it: fuzz_image found
// three defects in the JPEG decoder of stb_image 2.27, Debian's (a Huffman
// table written past its end, reads of the bit stream past its end, and the
// undefined shifts that followed). PNG and BMP go to stb_image (libstb-dev),
// with the checks of image_check.hpp for what it gets wrong.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <vector>

namespace npusim::images {

// Why bytes are no image the tools can read. The message is the reason
// only; the caller adds the file's name.
class DecodeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Pixels {
  int width = 0, height = 0, channels = 0;
  std::vector<uint8_t> data;  // interleaved, row major
};

struct Dimensions {
  int width = 0, height = 0;
};

// The width and height in the header of a PNG, JPEG or BMP, without
// decoding; nothing if the header cannot be read.
std::optional<Dimensions> dimensions(std::string_view bytes);

// Decodes into `channels` 8-bit channels (1 grey, 2 grey and alpha, 3 RGB,
// 4 RGBA; alpha 255 when the file has none). Checked before decoding
// (docs/limits.md): the file's size, the image's pixel count, and a file
// shorter than the pixels its header claims.
Pixels decode(std::string_view bytes, int channels);

}  // namespace npusim::images
