// Reading and writing whole files the way every npusim tool must:
//   read_file   refuses directories and anything larger than a limit before
//               allocating (so /dev/zero or a 50 GB file is an error, not an
//               endless read), and names the path in every error;
//   write_file  writes a temporary file beside the target and renames it
//               into place only when every byte is written and synced, so a
//               full disk, a kill or a read-only directory never leaves a
//               partial file or destroys the previous one.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace npusim::files {

// Every error of this header: the message starts with the path.
class FileError : public std::runtime_error {
 public:
  FileError(const std::string& path, const std::string& reason)
      : std::runtime_error(path + ": " + reason), path_(path), reason_(reason) {}
  const std::string& path() const { return path_; }
  const std::string& reason() const { return reason_; }  // the message without the path

 private:
  std::string path_, reason_;
};

// The bytes of `path`, at most `max_bytes` of them. `what` names the kind
// of file in messages ("an ONNX model", "a hardware parameter file").
std::string read_file(const std::string& path, uint64_t max_bytes, std::string_view what);

// Replaces `path` with `bytes` atomically (temporary beside it, fsync,
// rename); through a symbolic link, the file it names is replaced and the
// link kept. An existing device or pipe (/dev/null, /dev/stdout, a FIFO) is
// written in place instead. Throws FileError naming `path` and the system's
// reason, e.g. "No space left on device" for /dev/full.
void write_file(const std::string& path, std::string_view bytes);

// Throws FileError now if write_file(path, ...) would fail for want of a
// writable directory (or because `path` is a directory): for tools that
// write their results after a long run.
void check_writable(const std::string& path);

// Creates `dir` and its parents if missing; FileError if that fails or a
// file of that name is in the way.
void make_directories(const std::string& dir);

}  // namespace npusim::files
