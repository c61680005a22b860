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

// "" if `bytes` is not a PNG or each of its chunks up to IEND, CRC
// included, fits in the file; otherwise the reason, naming the chunk and its
// byte offset. stb_image 2.27 allocates an IDAT chunk's length before
// reading it, so a 300-byte file claiming a chunk of 2 GB asked for 2 GB;
// and it reads a last chunk cut after its type, where an empty IDAT then
// copied zero bytes from a null buffer (both found by fuzz_image).
std::string png_problem(std::string_view bytes);

// A PNG's bytes without the zero-length IDAT chunks before its first IDAT
// with data, if it has such chunks; otherwise nullopt. stb_image 2.27 copies
// the zero bytes of such a chunk from a null buffer (memcpy(NULL, p, 0),
// undefined behaviour; found by fuzz_image). An empty chunk holds no image
// data, so the image decoded without it is the same.
std::optional<std::string> png_without_leading_empty_idat(std::string_view bytes);

}  // namespace npusim::images
