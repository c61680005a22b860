// Whole-file reads with limits and atomic writes (files.hpp).
#include "npusim/common/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

namespace npusim::files {
namespace {

std::string errno_text() {
  return std::strerror(errno);
}

[[noreturn]] void fail(const std::string& path, const std::string& why) {
  throw FileError(path, why);
}

// Closes a file descriptor when it goes out of scope.
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  Fd(Fd&& o) noexcept : fd(o.fd) { o.fd = -1; }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// "a directory", "a character device", ... or "" for a regular file or a
// pipe (both can be read to their end).
std::string unreadable_kind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "";
}

std::string size_text(uint64_t bytes) {
  if (bytes >= (uint64_t{1} << 30) && bytes % (uint64_t{1} << 30) == 0)
    return std::to_string(bytes >> 30) + " GiB";
  if (bytes >= (uint64_t{1} << 20) && bytes % (uint64_t{1} << 20) == 0)
    return std::to_string(bytes >> 20) + " MiB";
  return std::to_string(bytes) + " bytes";
}

[[noreturn]] void too_large(const std::string& path, std::string_view what, uint64_t max) {
  fail(path, "larger than the " + size_text(max) + " allowed for " + std::string(what) +
                 " (docs/limits.md)");
}

bool write_all(int fd, std::string_view bytes) {
  const char* p = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = EIO;
      return false;
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  return true;
}

// The permission bits a new file would get: 0666 minus the umask (read
// from /proc, since umask() cannot be read without changing it).
mode_t new_file_mode() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("Umask:", 0) == 0)
      return 0666 & ~static_cast<mode_t>(std::stoul(line.substr(6), nullptr, 8));
  return 0644;
}

// What `path` names when it exists and is not a regular file: a device such
// as /dev/null or /dev/full, a pipe, or the terminal behind /dev/stdout.
// Such a target is written in place: replacing it by a renamed regular file
// would destroy a device node (as root) or a pipe its reader is waiting on.
bool is_stream_target(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode);
}

// The file a symbolic link finally names, so that an atomic write replaces
// that file and leaves the link in place; `path` itself otherwise.
std::string resolve_links(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_symlink(path, ec)) return path;
  const auto target = std::filesystem::weakly_canonical(path, ec);
  return ec ? path : target.string();
}

// Writes `bytes` to an existing device or pipe: no temporary and no fsync
// (neither applies), but every write error is still reported.
void write_in_place(const std::string& path, std::string_view bytes) {
  // Non-blocking open: a pipe nobody reads is an error, not an endless wait.
  Fd f{::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NONBLOCK)};
  if (f.fd < 0 && errno == ENXIO) fail(path, "cannot write: no process is reading this pipe");
  if (f.fd < 0) fail(path, "cannot write: " + errno_text());
  // Blocking writes from here on: a full pipe waits for its reader.
  if (::fcntl(f.fd, F_SETFL, ::fcntl(f.fd, F_GETFL) & ~O_NONBLOCK) != 0)
    fail(path, "cannot write: " + errno_text());
  if (!write_all(f.fd, bytes)) fail(path, "cannot write: " + errno_text());
  const int closed = ::close(f.fd);
  f.fd = -1;
  if (closed != 0) fail(path, "cannot write: " + errno_text());
}

// A new temporary file beside `path` (same directory, so rename is atomic);
// its name is left in `tmp`.
Fd temporary_beside(const std::string& path, std::string& tmp) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path, ec)) fail(path, "cannot write: it is a directory");
  const fs::path target(resolve_links(path));
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  tmp = (dir / ("." + target.filename().string() + ".tmp-XXXXXX")).string();
  Fd f{::mkstemp(tmp.data())};
  if (f.fd < 0)
    fail(path, "cannot write: cannot create a file in " + dir.string() + ": " + errno_text());
  return f;
}

}  // namespace

std::string read_file(const std::string& path, uint64_t max_bytes, std::string_view what) {
  Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0) fail(path, "cannot open: " + errno_text());
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) fail(path, "cannot read: " + errno_text());
  if (const std::string kind = unreadable_kind(st.st_mode); !kind.empty())
    fail(path, "is " + kind + ", expected " + std::string(what));
  if (S_ISREG(st.st_mode) && uint64_t(st.st_size) > max_bytes) too_large(path, what, max_bytes);
  std::string bytes;
  if (S_ISREG(st.st_mode)) bytes.reserve(static_cast<size_t>(st.st_size));
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(f.fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(path, "cannot read: " + errno_text());
    if (n == 0) break;
    if (bytes.size() + uint64_t(n) > max_bytes) too_large(path, what, max_bytes);
    bytes.append(buf, static_cast<size_t>(n));
  }
  return bytes;
}

void check_writable(const std::string& path) {
  if (is_stream_target(path)) {
    if (::access(path.c_str(), W_OK) != 0) fail(path, "cannot write: " + errno_text());
    return;
  }
  std::string tmp;
  Fd f = temporary_beside(path, tmp);
  ::unlink(tmp.c_str());
}

void write_file(const std::string& path, std::string_view bytes) {
  if (is_stream_target(path)) return write_in_place(path, bytes);
  const std::string target = resolve_links(path);
  std::string tmp;
  Fd f = temporary_beside(path, tmp);
  struct stat old {};
  const mode_t mode = ::stat(target.c_str(), &old) == 0 ? (old.st_mode & 07777) : new_file_mode();
  const bool ok = ::fchmod(f.fd, mode) == 0 && write_all(f.fd, bytes) && ::fsync(f.fd) == 0;
  std::string why = ok ? "" : errno_text();
  const int closed = ::close(f.fd);
  f.fd = -1;
  if (ok && closed != 0) why = errno_text();
  if (!why.empty()) {
    ::unlink(tmp.c_str());
    fail(path, "cannot write: " + why + " (the previous file, if any, is unchanged)");
  }
  if (std::rename(tmp.c_str(), target.c_str()) != 0) {
    why = errno_text();
    ::unlink(tmp.c_str());
    fail(path, "cannot write: cannot rename the temporary file into place: " + why);
  }
}

void make_directories(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) fail(dir, "cannot create directory: " + ec.message());
  if (!std::filesystem::is_directory(dir, ec))
    fail(dir, "cannot create directory: a file of that name is in the way");
}

}  // namespace npusim::files
