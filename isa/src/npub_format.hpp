// Internal: constants of the .npub container layout (docs/npub.md), shared
// by the writer and the reader.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include <zlib.h>

namespace npusim::isa::npub {

inline constexpr char kMagic[4] = {'N', 'P', 'U', 'B'};
// magic(4) major(2) minor(2) header_length(4) header_crc32(4)
inline constexpr size_t kPreambleBytes = 16;
// The header is padded with spaces and every blob starts on this boundary,
// so blobs are aligned in the file (useful for mapping it).
inline constexpr size_t kAlign = 16;

inline size_t align_up(size_t n) {
  return (n + kAlign - 1) / kAlign * kAlign;
}

inline uint32_t crc32_of(const void* data, size_t n) {
  return static_cast<uint32_t>(crc32_z(crc32_z(0, nullptr, 0), static_cast<const Bytef*>(data), n));
}

inline std::string hex32(uint32_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s = "0x00000000";
  for (int i = 0; i < 8; ++i) s[9 - i] = kDigits[(v >> (4 * i)) & 15];
  return s;
}

}  // namespace npusim::isa::npub
