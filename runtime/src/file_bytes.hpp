// A whole file read into memory. A regular file is read in one piece, its
// size first (a stream copied through an ostringstream grows by doubling and
// is copied again by str(): three copies of a model file, each a few MB of
// fresh pages); anything else (a pipe, /dev/stdin, a directory) is copied
// through a stream as before.
#pragma once

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

namespace npusim::runtime {

// nullopt when the file cannot be opened or read.
inline std::optional<std::string> read_file_bytes(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream all;
    all << in.rdbuf();
    return all.str();
  }
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return std::nullopt;
  const std::streamoff size = in.tellg();
  if (size < 0) return std::nullopt;
  std::string bytes(static_cast<size_t>(size), '\0');
  in.seekg(0);
  if (!in.read(bytes.data(), size)) return std::nullopt;
  return bytes;
}

}  // namespace npusim::runtime
