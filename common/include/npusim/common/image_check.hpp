// Checks and repairs of PNG and BMP files before stb_image 2.27 (Debian's
// libstb) sees them, for what it gets wrong (found by fuzz_image,
// docs/fuzzing.md). image_decode.cpp applies them.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace npusim::images {

// "" if `bytes` is long enough for the `width` x `height` pixels its header
// claims (from stbi_info); otherwise the reason, with both sizes. stb_image
// reads past the end of a BMP's rows as zeros, so a
// truncated file decoded silently into black rows, and a file of 100 bytes
// could claim 8192 x 8192 pixels and cost a minute of decoding and resizing
// (found by fuzz_image). A BMP needs every row up to the last one's padding.
// PNG needs no check here: stb_image refuses a truncated zlib stream.
std::string truncation_problem(std::string_view bytes, int width, int height);

// What a PNG needs before stb_image sees it, from one walk over its chunks
// up to IEND (nothing for other files):
// - `problem`: "" if each chunk, CRC included, fits in the file; otherwise
//   the reason, naming the chunk and its byte offset. stb_image 2.27
//   allocates an IDAT chunk's length before reading it (a 300-byte file
//   claiming a chunk of 2 GB asked for 2 GB), and reads a last chunk cut
//   after its type.
// - `repaired`: the bytes without the zero-length IDAT chunks before the
//   first IDAT with data, if there are any. stb_image copies their zero bytes
//   from a null buffer (memcpy(NULL, p, 0), undefined behaviour); they hold
//   no image data, so the image decoded without them is the same.
// All found by fuzz_image.
struct PngCheck {
  std::string problem;
  std::optional<std::string> repaired;
};
PngCheck check_png(std::string_view bytes);

}  // namespace npusim::images
