#include "npusim/common/image_check.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace npusim::images {
namespace {

constexpr int kMaxHuffmanCodes = 256;  // one code per byte value

// Reads bytes as stb_image does: past the end every byte reads as 0.
class Cursor {
 public:
  explicit Cursor(std::string_view bytes) : bytes_(bytes) {}
  int get8() { return at_end() ? 0 : static_cast<uint8_t>(bytes_[pos_++]); }
  int get16() {
    const int hi = get8();
    return hi << 8 | get8();
  }
  bool at_end() const { return pos_ >= bytes_.size(); }
  size_t pos() const { return pos_; }
  void skip(size_t n) { pos_ = n > bytes_.size() - pos_ ? bytes_.size() : pos_ + n; }

 private:
  std::string_view bytes_;
  size_t pos_ = 0;
};

// The tables of one DHT segment, read like stb_image's: each is a class and
// id byte, 16 code counts and as many values as the counts add up to, until
// the segment length is used up.
std::string dht_problem(Cursor& c, size_t segment_at) {
  int remaining = c.get16() - 2;
  while (remaining > 0) {
    const int table = c.get8();
    int codes = 0;
    for (int i = 0; i < 16; ++i) codes += c.get8();
    if (codes > kMaxHuffmanCodes)
      return "corrupt JPEG: Huffman table " + std::to_string(table & 15) + " (class " +
             std::to_string(table >> 4) + ") in the DHT segment at byte " +
             std::to_string(segment_at) + " defines " + std::to_string(codes) + " codes, at most " +
             std::to_string(kMaxHuffmanCodes);
    c.skip(static_cast<size_t>(codes));
    remaining -= 17 + codes;
    if (c.at_end()) return "";
  }
  return "";
}

// The next marker's code: 0xFF, any fill 0xFF bytes, then the code; -1 at
// the end. Other bytes before the 0xFF are skipped, as stb_image skips
// padding between segments.
int next_marker(Cursor& c) {
  while (!c.at_end() && c.get8() != 0xFF) {
  }
  int m = c.get8();
  while (m == 0xFF && !c.at_end()) m = c.get8();
  return c.at_end() && m == 0 ? -1 : m;
}

// After a scan header: skips the entropy-coded data up to the next marker
// (0xFF followed by neither a stuffed 0x00 nor a restart code 0xD0-0xD7)
// and returns its code, or -1 at the end.
int marker_after_scan(Cursor& c) {
  while (!c.at_end()) {
    if (c.get8() != 0xFF) continue;
    int m = c.get8();
    while (m == 0xFF && !c.at_end()) m = c.get8();
    if (m != 0x00 && m != 0xFF && !(m >= 0xD0 && m <= 0xD7)) return m;
  }
  return -1;
}

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

std::string jpeg_truncation(std::string_view bytes, int width, int height) {
  const uint64_t blocks = (uint64_t(width) + 7) / 8 * ((uint64_t(height) + 7) / 8);
  const uint64_t needed = (blocks + 7) / 8;
  if (bytes.size() >= needed) return "";
  return too_short(bytes, "JPEG", width, height, needed,
                   std::to_string(blocks) + " blocks of 8x8, at least one bit each");
}

}  // namespace

std::string truncation_problem(std::string_view bytes, int width, int height) {
  if (width <= 0 || height <= 0) return "";  // the callers refuse these
  if (bytes.substr(0, 2) == "BM") return bmp_truncation(bytes, width, height);
  // Of the formats the tools read, only JPEG starts with 0xFF (PNG: 0x89).
  if (!bytes.empty() && static_cast<uint8_t>(bytes[0]) == 0xFF)
    return jpeg_truncation(bytes, width, height);
  return "";
}

std::optional<std::string> png_without_leading_empty_idat(std::string_view bytes) {
  constexpr std::string_view kSignature("\x89PNG\r\n\x1a\n", 8);
  if (bytes.substr(0, kSignature.size()) != kSignature) return std::nullopt;
  std::vector<std::pair<size_t, size_t>> empty;  // [begin, end) of each dropped chunk
  constexpr size_t kFraming = 12;                // length, type and CRC
  size_t at = kSignature.size();
  while (bytes.size() - at >= kFraming) {
    const uint64_t length = uint64_t(big_endian(bytes, at));
    const bool idat = bytes.substr(at + 4, 4) == "IDAT";
    if (idat && length > 0) break;
    if (idat) empty.emplace_back(at, at + kFraming);
    if (length > bytes.size() - at - kFraming) break;
    at += kFraming + length;
  }
  if (empty.empty()) return std::nullopt;
  std::string out;
  size_t from = 0;
  for (const auto& [begin, end] : empty) {
    out.append(bytes.substr(from, begin - from));
    from = end;
  }
  out.append(bytes.substr(from));
  return out;
}

std::string jpeg_problem(std::string_view bytes) {
  // Start of image: 0xFF, any fill 0xFF bytes, 0xD8.
  if (bytes.empty() || static_cast<uint8_t>(bytes[0]) != 0xFF) return "";
  Cursor c(bytes);
  if (next_marker(c) != 0xD8) return "";
  int m = next_marker(c);
  while (m >= 0 && m != 0xD9) {  // to the end of the image
    const size_t segment_at = c.pos() - 2;
    if (m == 0xC4) {
      if (std::string p = dht_problem(c, segment_at); !p.empty()) return p;
      m = next_marker(c);
      continue;
    }
    if (m == 0x01 || (m >= 0xD0 && m <= 0xD7)) {  // markers without a length
      m = next_marker(c);
      continue;
    }
    const int length = c.get16();
    if (length < 2) return "";  // the decoder refuses it
    c.skip(static_cast<size_t>(length - 2));
    m = m == 0xDA ? marker_after_scan(c) : next_marker(c);  // 0xDA: start of scan
  }
  return "";
}

}  // namespace npusim::images
