#include "compile_cache.hpp"

#include <spdlog/spdlog.h>

#include <elf.h>
#include <link.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "file_bytes.hpp"
#include "npusim/compiler/compile.hpp"

namespace npusim::runtime {

namespace fs = std::filesystem;

namespace {

// The first line of every entry; the number changes with the entry layout.
constexpr std::string_view kEntryMagic = "npusim-compile-cache 1\n";

// FNV-1a: a stable 64-bit hash for file names (the entry's key text, stored
// inside, is what decides whether it is served).
uint64_t fnv1a(std::string_view bytes, uint64_t h = 0xcbf29ce484222325ull) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

std::string hex16(uint64_t v) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(v));
  return hex;
}

// The GNU build-id note of the loaded object that contains `address`.
struct BuildIdSearch {
  uintptr_t address = 0;
  std::string id;
};

std::string build_id_of_notes(const char* notes, size_t size, size_t align) {
  size_t at = 0;
  const auto up = [align](size_t n) { return (n + align - 1) / align * align; };
  while (at + sizeof(ElfW(Nhdr)) <= size) {
    ElfW(Nhdr) h;
    std::memcpy(&h, notes + at, sizeof h);
    const size_t name_at = at + sizeof h, desc_at = name_at + up(h.n_namesz);
    if (desc_at + h.n_descsz > size) break;
    if (h.n_type == NT_GNU_BUILD_ID && h.n_namesz == 4 &&
        std::string_view(notes + name_at, 3) == "GNU") {
      std::string id;
      for (size_t i = 0; i < h.n_descsz; ++i) {
        char byte[3];
        std::snprintf(byte, sizeof byte, "%02x", static_cast<unsigned char>(notes[desc_at + i]));
        id += byte;
      }
      return id;
    }
    at = desc_at + up(h.n_descsz);
  }
  return "";
}

int find_build_id(dl_phdr_info* info, size_t, void* data) {
  auto* search = static_cast<BuildIdSearch*>(data);
  bool contains = false;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const auto& ph = info->dlpi_phdr[i];
    const uintptr_t begin = info->dlpi_addr + ph.p_vaddr;
    if (ph.p_type == PT_LOAD && search->address >= begin && search->address < begin + ph.p_memsz)
      contains = true;
  }
  if (!contains) return 0;
  for (int i = 0; i < info->dlpi_phnum && search->id.empty(); ++i) {
    const auto& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_NOTE) continue;
    search->id = build_id_of_notes(reinterpret_cast<const char*>(info->dlpi_addr + ph.p_vaddr),
                                   ph.p_memsz, ph.p_align < 4 ? 4 : ph.p_align);
  }
  return 1;
}

// Without a build id: the running executable's path, size and time, so a
// rebuilt compiler still never reuses programs an older one wrote.
std::string executable_identity() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "unknown";
  const auto size = fs::file_size(exe, ec);
  const auto time = fs::last_write_time(exe, ec).time_since_epoch().count();
  return exe.string() + ":" + std::to_string(size) + ":" + std::to_string(time);
}

std::string this_host() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "unknown";
  return name;
}

bool process_alive(long pid) {
  return pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM);
}

// Whether a temporary's writer is gone. Temporaries are named
// "ENTRY.tmp.HOST.PID"; the runtime before this layout wrote "ENTRY.tmpPID".
bool writer_gone(const std::string& name, const std::string& host) {
  const size_t tmp = name.rfind(".tmp");
  if (tmp == std::string::npos) return false;
  std::string rest = name.substr(tmp + 4);
  if (!rest.empty() && rest.front() == '.') {  // ".HOST.PID"
    const size_t dot = rest.rfind('.');
    if (rest.substr(1, dot - 1) != host) return false;  // another host's: only by age
    rest = rest.substr(dot + 1);
  }
  char* end = nullptr;
  const long pid = std::strtol(rest.c_str(), &end, 10);
  return end && *end == '\0' && !rest.empty() && !process_alive(pid);
}

}  // namespace

const std::string& compiler_build_id() {
  static const std::string id = [] {
    BuildIdSearch search;
    search.address = reinterpret_cast<uintptr_t>(&compiler::compile);
    dl_iterate_phdr(find_build_id, &search);
    return search.id.empty() ? executable_identity() : "build-id " + search.id;
  }();
  return id;
}

CompileKey compile_key(const std::string& model_bytes, const ModelOptions& o) {
  std::ostringstream s;
  s << "compiler " << compiler_build_id() << "\n"
    << "model fnv1a64 " << hex16(fnv1a(model_bytes)) << " bytes " << model_bytes.size() << "\n"
    << "target " << isa::mode_name(o.target) << "\n";
  for (const auto& [name, shape] : o.input_shapes)
    s << "input_shape " << name << "=" << compiler::shape_string(shape) << "\n";
  for (const auto& out : o.outputs) s << "output " << out << "\n";
  if (o.batch > 1) s << "batch " << o.batch << "\n";  // absent for one image: older keys stay
  std::istringstream hw(isa::program_relevant_text(o.hw));
  for (std::string line; std::getline(hw, line);) s << "hw " << line << "\n";
  return {s.str(), hex16(fnv1a(s.str()))};
}

CompileCache::CompileCache(std::string dir) : dir_(std::move(dir)) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  remove_stale_temporaries();
}

std::string CompileCache::entry_path(const CompileKey& key) const {
  return dir_ + "/" + key.hash + ".entry";
}

void CompileCache::remove_stale_temporaries() const {
  const std::string host = this_host();
  const auto now = fs::file_time_type::clock::now();
  std::error_code ec;
  for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.find(".tmp") == std::string::npos) continue;
    std::error_code time_ec;
    const auto written = fs::last_write_time(it->path(), time_ec);
    const bool old = !time_ec && now - written > std::chrono::hours(24);
    if (!old && !writer_gone(name, host)) continue;
    std::error_code rm_ec;
    if (fs::remove(it->path(), rm_ec))
      spdlog::info("runtime: removed a stale compile-cache temporary {}", it->path().string());
  }
}

std::optional<isa::Program> CompileCache::find(const CompileKey& key) const {
  const std::string path = entry_path(key);
  const std::optional<std::string> read = read_file_bytes(path);
  if (!read) return std::nullopt;
  const std::string& bytes = *read;
  const auto refuse = [&](const std::string& why) {
    spdlog::warn("runtime: ignoring compile-cache entry {}: {}", path, why);
    return std::nullopt;
  };
  if (bytes.compare(0, kEntryMagic.size(), kEntryMagic) != 0)
    return refuse("not a compile-cache entry (no \"npusim-compile-cache 1\" line)");
  const size_t eol = bytes.find('\n', kEntryMagic.size());
  if (eol == std::string::npos) return refuse("truncated key");
  char* end = nullptr;
  const std::string length_text = bytes.substr(kEntryMagic.size(), eol - kEntryMagic.size());
  const unsigned long long length = std::strtoull(length_text.c_str(), &end, 10);
  if (length_text.empty() || *end != '\0' || length > bytes.size() - eol - 1)
    return refuse("truncated key");
  const std::string stored = bytes.substr(eol + 1, length);
  if (stored != key.text) {
    // Name the first line that differs: what the entry was compiled for.
    std::istringstream a(stored), b(key.text);
    std::string la, lb;
    for (;;) {
      const bool more_a = bool(std::getline(a, la)), more_b = bool(std::getline(b, lb));
      if (!more_a) la.clear();
      if (!more_b) lb.clear();
      if (la != lb || (!more_a && !more_b)) break;
    }
    return refuse("it was written for another key (entry has \"" + la + "\", wanted \"" + lb +
                  "\")");
  }
  const size_t program_at = eol + 1 + length;
  try {
    return isa::deserialize({bytes.begin() + long(program_at), bytes.end()}, path);
  } catch (const std::exception& e) {
    return refuse(e.what());
  }
}

void CompileCache::store(const CompileKey& key, const isa::Program& program) const {
  const std::string path = entry_path(key);
  const std::string tmp = path + ".tmp." + this_host() + "." + std::to_string(::getpid());
  try {
    const std::vector<uint8_t> npub = isa::serialize(program);
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out << kEntryMagic << key.text.size() << "\n" << key.text;
      out.write(reinterpret_cast<const char*>(npub.data()), std::streamsize(npub.size()));
      out.flush();
      if (!out) throw std::runtime_error("cannot write " + tmp);
    }
    fs::rename(tmp, path);
  } catch (const std::exception& e) {
    std::error_code ec;
    fs::remove(tmp, ec);
    spdlog::warn("runtime: cannot write the compile cache {}: {}", path, e.what());
  }
}

}  // namespace npusim::runtime
