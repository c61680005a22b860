// Checks on image files before a decoder sees them, for what the decoder
// itself gets wrong. stb_image 2.27 (Debian's libstb) builds a JPEG Huffman
// table from the 16 code counts of a DHT segment without checking that they
// add up to at most 256, and writes past the table when they do not (found
// by fuzz_image, docs/fuzzing.md; checked upstream since 2.28).
#pragma once

#include <string>
#include <string_view>

namespace npusim::images {

// "" if `bytes` is not a JPEG or its Huffman tables are sound; otherwise the
// reason, naming the segment's byte offset and the table. Walks the markers
// as stb_image reads them (segment by segment, skipping entropy-coded data).
std::string jpeg_problem(std::string_view bytes);

}  // namespace npusim::images
