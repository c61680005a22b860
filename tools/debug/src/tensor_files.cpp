#include "npusim/debug/tensor_files.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "npusim/common/files.hpp"
#include "npusim/compiler/calibration.hpp"

namespace npusim::debug {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr size_t kMaxStem = 120;  // well under NAME_MAX (255) with ".float.npy"
constexpr const char* kIndex = "index.json";
constexpr const char* kFormat = "npusim-dump-1";

bool portable(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

// ort_run.js's file stem: every other character as '_', no length limit.
std::string ort_stem(const std::string& name) {
  std::string s = name;
  for (char& c : s)
    if (!portable(c)) c = '_';
  return s;
}

std::string fnv1a_hex(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

// JSON strings are UTF-8; a name that is not (ONNX names are bytes) is kept
// as hex in "name_hex" beside a readable "name" with '?' for the bad bytes.
bool valid_utf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
    i += n;
  }
  return true;
}

json name_fields(const std::string& name) {
  if (valid_utf8(name)) return {{"name", name}};
  std::string readable, hex;
  for (unsigned char c : name) {
    readable += c < 0x80 ? static_cast<char>(c) : '?';
    char b[3];
    std::snprintf(b, sizeof b, "%02x", c);
    hex += b;
  }
  return {{"name", readable}, {"name_hex", hex}};
}

std::string name_of(const json& t) {
  if (!t.contains("name_hex")) return t.at("name").get<std::string>();
  const std::string hex = t.at("name_hex").get<std::string>();
  std::string name;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    name += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  return name;
}

Tensor read_tensor(const fs::path& dir, const std::string& file) {
  const fs::path p = dir / file;
  if (file.empty() || file.find('/') != std::string::npos || file == "." || file == "..")
    throw std::runtime_error((dir / kIndex).string() + ": bad file name \"" + file + "\"");
  return compiler::read_npy(p.string());
}

std::map<std::string, DumpEntry> read_indexed(const fs::path& dir,
                                              const std::set<std::string>& wanted) {
  const fs::path index = dir / kIndex;
  std::ifstream in(index);
  json j;
  try {
    j = json::parse(in);
    if (j.at("format") != kFormat)
      throw std::runtime_error("format is not " + std::string(kFormat));
  } catch (const std::exception& e) {
    throw std::runtime_error(index.string() + ": " + e.what());
  }
  std::map<std::string, DumpEntry> out;
  for (const auto& t : j.at("tensors")) {
    DumpEntry e;
    e.name = name_of(t);
    if (!wanted.count(e.name)) continue;
    e.scale = t.value("scale", 1.0f);
    e.zero_point = t.value("zero_point", 0);
    if (t.contains("codes")) e.codes = read_tensor(dir, t.at("codes").get<std::string>());
    if (t.contains("float")) e.values = read_tensor(dir, t.at("float").get<std::string>());
    out[e.name] = std::move(e);
  }
  return out;
}

}  // namespace

std::string safe_file_stem(const std::string& name) {
  std::string s = ort_stem(name);
  const bool changed = s != name || s.size() > kMaxStem || s.empty() || s == "." || s == ".." ||
                       s.find(".float") != std::string::npos || s == "index";
  if (!changed) return s;
  const std::string tag = "~" + fnv1a_hex(name);  // '~' never survives ort_stem: no collisions
  if (s.size() + tag.size() > kMaxStem) s.resize(kMaxStem - tag.size());
  return s + tag;
}

void write_dump(const std::string& dir, const std::vector<DumpEntry>& entries) {
  files::make_directories(dir);
  json index = {{"format", kFormat}, {"tensors", json::array()}};
  for (const auto& e : entries) {
    const std::string stem = safe_file_stem(e.name);
    json t = name_fields(e.name);
    if (e.codes) {
      compiler::write_npy(dir + "/" + stem + ".npy", *e.codes);
      t["codes"] = stem + ".npy";
      t["dtype"] = compiler::dtype_name(e.codes->dtype());
      t["scale"] = e.scale;
      t["zero_point"] = e.zero_point;
    }
    if (e.values) {
      compiler::write_npy(dir + "/" + stem + ".float.npy", *e.values);
      t["float"] = stem + ".float.npy";
    }
    t["shape"] = (e.codes ? e.codes : e.values)->shape();
    index["tensors"].push_back(t);
  }
  files::write_file(dir + "/" + kIndex, index.dump(1) + "\n");
}

void write_named_files(const std::string& dir, const std::vector<NamedFile>& files) {
  files::make_directories(dir);
  json index = {{"format", kFormat}, {"tensors", json::array()}};
  std::set<std::string> taken;
  for (const auto& f : files) {
    std::string stem = f.name;
    for (char& c : stem)
      if (c == '/' || c == ':') c = '_';
    if (stem.size() > kMaxStem || stem.empty() || stem == "." || stem == ".." || stem == "index" ||
        taken.count(stem))
      stem = safe_file_stem(f.name);
    taken.insert(stem);
    compiler::write_npy(dir + "/" + stem + ".npy", *f.tensor);
    json t = name_fields(f.name);
    t[f.tensor->dtype() == compiler::DType::kFloat32 ? "float" : "codes"] = stem + ".npy";
    t["shape"] = f.tensor->shape();
    index["tensors"].push_back(t);
  }
  files::write_file(dir + "/" + kIndex, index.dump(1) + "\n");
}

std::map<std::string, DumpEntry> read_dump(const std::string& dir,
                                           const std::vector<std::string>& names) {
  if (!fs::is_directory(dir)) throw std::runtime_error(dir + ": not a folder");
  const std::set<std::string> wanted(names.begin(), names.end());
  if (fs::exists(fs::path(dir) / kIndex)) return read_indexed(dir, wanted);
  std::map<std::string, DumpEntry> out;
  for (const auto& name : names) {
    for (const std::string& stem : {safe_file_stem(name), ort_stem(name)}) {
      const fs::path p = fs::path(dir) / (stem + ".npy");
      if (stem.size() > 250 || !fs::exists(p)) continue;
      DumpEntry e;
      e.name = name;
      Tensor t = compiler::read_npy(p.string());
      if (t.dtype() == compiler::DType::kFloat32)
        e.values = std::move(t);
      else
        e.codes = std::move(t);
      out[name] = std::move(e);
      break;
    }
  }
  return out;
}

}  // namespace npusim::debug
