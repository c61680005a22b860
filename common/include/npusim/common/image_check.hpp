// Checks on image files before a decoder sees them, for what the decoder
// itself gets wrong. stb_image 2.27 (Debian's libstb) builds a JPEG Huffman
// table from the 16 code counts of a DHT segment without checking that they
// add up to at most 256, and writes past the table when they do not (found
// by fuzz_image, docs/fuzzing.md; checked upstream since 2.28).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace npusim::images {

// "" if `bytes` is not a JPEG or its Huffman tables are sound; otherwise the
// reason, naming the segment's byte offset and the table. Walks the markers
// as stb_image reads them (segment by segment, skipping entropy-coded data).
std::string jpeg_problem(std::string_view bytes);

// "" if `bytes` is long enough for the `width` x `height` pixels its header
// claims (from stbi_info); otherwise the reason, with both sizes. stb_image
// reads past the end of a BMP's rows or a JPEG's coded data as zeros, so a
// truncated file decoded silently into black rows, and a file of 100 bytes
// could claim 8192 x 8192 pixels and cost a minute of decoding and resizing
// (found by fuzz_image). A BMP needs every row up to the last one's padding;
// a JPEG at least one bit of coded data per 8 x 8 block of its largest
// component (a block's DC difference is a Huffman code of at least one bit).
// PNG needs no check here: stb_image refuses a truncated zlib stream.
std::string truncation_problem(std::string_view bytes, int width, int height);

// A PNG's bytes without the zero-length IDAT chunks before its first IDAT
// with data, if it has such chunks; otherwise nullopt. stb_image 2.27 copies
// the zero bytes of such a chunk from a null buffer (memcpy(NULL, p, 0),
// undefined behaviour; found by fuzz_image). An empty chunk holds no image
// data, so the image decoded without it is the same.
std::optional<std::string> png_without_leading_empty_idat(std::string_view bytes);

}  // namespace npusim::images
