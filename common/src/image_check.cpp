#include "npusim/common/image_check.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace npusim::images {
namespace {

uint32_t little_endian(std::string_view bytes, size_t at, int count) {
  uint32_t v = 0;
  for (int i = count - 1; i >= 0; --i)
    v = v << 8 | (at + i < bytes.size() ? static_cast<uint8_t>(bytes[at + i]) : 0u);
  return v;
}

uint32_t big_endian(std::string_view bytes, size_t at) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) v = v << 8 | static_cast<uint8_t>(bytes[at + i]);
  return v;
}

constexpr std::string_view kPngSignature("\x89PNG\r\n\x1a\n", 8);
constexpr size_t kPngFraming = 12;  // a chunk's length, type and CRC

// A chunk type as text, its bytes that are not letters escaped.
std::string printable(std::string_view type) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const char c : type) {
    const auto b = static_cast<uint8_t>(c);
    if ((b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z')) {
      out += c;
    } else {
      out += "\\x";
      out += kHex[b >> 4];
      out += kHex[b & 15];
    }
  }
  return out;
}

std::string too_short(std::string_view bytes, const char* format, int width, int height,
                      uint64_t needed, const std::string& why) {
  return "truncated " + std::string(format) + ": " + std::to_string(width) + "x" +
         std::to_string(height) + " pixels need at least " + std::to_string(needed) + " bytes (" +
         why + "), the file has " + std::to_string(bytes.size());
}

// BITMAPFILEHEADER: pixel data offset at byte 10. Then the info header: its
// size at 14; bits per pixel at 24 in the 12-byte OS/2 header, at 28 in the
// others. Rows are padded to 4 bytes.
std::string bmp_truncation(std::string_view bytes, int width, int height) {
  const uint64_t offset = little_endian(bytes, 10, 4);
  const uint32_t header_size = little_endian(bytes, 14, 4);
  const uint64_t bits = little_endian(bytes, header_size == 12 ? 24 : 28, 2);
  const uint64_t row = (uint64_t(width) * bits + 7) / 8;
  const uint64_t padded_row = (uint64_t(width) * bits + 31) / 32 * 4;
  const uint64_t needed = offset + padded_row * uint64_t(height - 1) + row;
  if (bytes.size() >= needed) return "";
  return too_short(bytes, "BMP", width, height, needed,
                   std::to_string(bits) + " bits per pixel from byte " + std::to_string(offset));
}

}  // namespace

std::string truncation_problem(std::string_view bytes, int width, int height) {
  if (width <= 0 || height <= 0) return "";  // the callers refuse these
  if (bytes.substr(0, 2) == "BM") return bmp_truncation(bytes, width, height);
  return "";
}

PngCheck check_png(std::string_view bytes) {
  PngCheck check;
  if (bytes.substr(0, kPngSignature.size()) != kPngSignature) return check;
  constexpr size_t kHeader = 8;  // a chunk's length and type; its CRC follows the data
  std::vector<std::pair<size_t, size_t>> empty;  // [begin, end) of each chunk to drop
  bool data_seen = false;
  for (size_t at = kPngSignature.size(); at < bytes.size();) {
    if (bytes.size() - at < kHeader) {
      check.problem = "truncated PNG: the chunk at byte " + std::to_string(at) + " has " +
                      std::to_string(bytes.size() - at) + " of the 8 bytes of its length and type";
      return check;
    }
    const uint64_t length = big_endian(bytes, at);
    const std::string_view type = bytes.substr(at + 4, 4);
    const uint64_t after_header = bytes.size() - at - kHeader;
    if (length + 4 > after_header) {
      check.problem = "corrupt PNG: chunk " + printable(type) + " at byte " + std::to_string(at) +
                      " claims " + std::to_string(length) +
                      " bytes of data and a 4-byte CRC, the file has " +
                      std::to_string(after_header) + " after its header";
      return check;
    }
    if (type == "IDAT" && length == 0 && !data_seen) empty.emplace_back(at, at + kPngFraming);
    if (type == "IDAT" && length > 0) data_seen = true;
    if (type == "IEND") break;
    at += kPngFraming + length;
  }
  if (empty.empty()) return check;
  std::string& out = check.repaired.emplace();
  size_t from = 0;
  for (const auto& [begin, end] : empty) {
    out.append(bytes.substr(from, begin - from));
    from = end;
  }
  out.append(bytes.substr(from));
  return check;
}

}  // namespace npusim::images
