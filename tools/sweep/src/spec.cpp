// Reading a sweep spec with yaml-cpp. Each section has its own reader; every
// error goes through Reader::fail so that it names the file, the line, the
// place in the spec ("grid.sram_per_pe[1]") and the reason. Hardware values
// are checked by isa::set_param, the one parser of docs/params.md.
#include "npusim/sweep/spec.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace npusim::sweep {

namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kTopLevelKeys = {
    "name",     "models", "modes", "workloads", "queries",     "arithmetic",   "layers",
    "hardware", "grid",   "zip",   "points",    "constraints", "uncompilable", "cache_dir"};

class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const YAML::Node& at, const std::string& where,
                         const std::string& why) const {
    std::string line;
    if (at.IsDefined() && at.Mark().line >= 0) line = std::to_string(at.Mark().line + 1) + ": ";
    throw SpecError(file_ + ":" + line + where + ": " + why);
  }

  std::string scalar(const YAML::Node& n, const std::string& where) const {
    if (!n.IsScalar()) fail(n, where, "expected a single value");
    return n.Scalar();
  }

  bool boolean(const YAML::Node& n, const std::string& where) const {
    const std::string v = scalar(n, where);
    if (v == "true") return true;
    if (v == "false") return false;
    fail(n, where, "expected true or false, got \"" + v + "\"");
  }

  uint64_t count(const YAML::Node& n, const std::string& where, uint64_t lo, uint64_t hi) const {
    const std::string v = scalar(n, where);
    const bool digits = !v.empty() && v.size() <= 12 && std::all_of(v.begin(), v.end(), [](char c) {
      return c >= '0' && c <= '9';
    });
    const uint64_t x = digits ? std::stoull(v) : 0;
    if (!digits || x < lo || x > hi)
      fail(n, where,
           "bad value \"" + v + "\": expected a whole number from " + std::to_string(lo) + " to " +
               std::to_string(hi));
    return x;
  }

  // The members of a map, refusing keys twice and keys not in `known` (when given).
  std::vector<std::pair<std::string, YAML::Node>> members(
      const YAML::Node& n, const std::string& where,
      const std::vector<std::string>& known = {}) const {
    if (!n.IsMap()) fail(n, where, "expected a map of key: value");
    std::vector<std::pair<std::string, YAML::Node>> out;
    std::set<std::string> seen;
    for (const auto& kv : n) {
      const std::string key = scalar(kv.first, where);
      const std::string at = where.empty() ? key : where + "." + key;
      if (!known.empty() && std::find(known.begin(), known.end(), key) == known.end()) {
        std::string list;
        for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
        fail(kv.first, at, "unknown key \"" + key + "\" (known: " + list + ")");
      }
      if (!seen.insert(key).second) fail(kv.first, at, "key given twice");
      out.emplace_back(key, kv.second);
    }
    return out;
  }

  const std::string& file() const { return file_; }

 private:
  std::string file_;
};

std::string expand_path(const std::string& path, const std::string& spec_path) {
  if (path.rfind("~/", 0) == 0) {
    const char* home = std::getenv("HOME");
    return (fs::path(home ? home : "") / path.substr(2)).string();
  }
  if (fs::path(path).is_absolute()) return path;
  return (fs::absolute(spec_path).parent_path() / path).lexically_normal().string();
}

std::vector<int64_t> parse_dims(const Reader& r, const YAML::Node& n, const std::string& where) {
  const std::string text = r.scalar(n, where);
  std::vector<int64_t> dims;
  std::stringstream s(text);
  for (std::string d; std::getline(s, d, 'x');) {
    const bool ok = !d.empty() && d.size() <= 9 &&
                    std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!ok || std::stoll(d) == 0)
      r.fail(n, where, "bad shape \"" + text + "\": expected dimensions like 1x3x640x640");
    dims.push_back(std::stoll(d));
  }
  if (dims.empty()) r.fail(n, where, "bad shape \"" + text + "\": expected dimensions");
  return dims;
}

ModelSpec read_model(const Reader& r, const YAML::Node& n, const std::string& where,
                     const std::string& spec_path) {
  ModelSpec m;
  YAML::Node path_node = n;
  if (n.IsMap()) {
    for (const auto& [key, value] : r.members(n, where, {"path", "name", "input_shapes"})) {
      if (key == "path") path_node = value;
      if (key == "name") m.name = r.scalar(value, where + ".name");
      if (key == "input_shapes")
        for (const auto& [input, dims] : r.members(value, where + ".input_shapes"))
          m.input_shapes[input] = parse_dims(r, dims, where + ".input_shapes." + input);
    }
    if (path_node.IsMap()) r.fail(n, where, "missing key \"path\"");
  }
  const std::string written = r.scalar(path_node, where + (n.IsMap() ? ".path" : ""));
  m.path = expand_path(written, spec_path);
  const std::string ext = fs::path(m.path).extension().string();
  if (ext != ".onnx" && ext != ".npub")
    r.fail(path_node, where, "\"" + written + "\" is neither an .onnx nor an .npub file");
  if (!fs::is_regular_file(m.path))
    r.fail(path_node, where, "no such file \"" + written + "\" (" + m.path + ")");
  if (m.name.empty()) {
    m.name = fs::path(m.path).filename().string();
    for (const char* suffix : {".onnx", ".npub", ".int8", ".qdq"})
      if (m.name.size() > std::strlen(suffix) &&
          m.name.compare(m.name.size() - std::strlen(suffix), std::string::npos, suffix) == 0)
        m.name.erase(m.name.size() - std::strlen(suffix));
  }
  return m;
}

template <typename T, typename F>
std::vector<T> read_list(const Reader& r, const YAML::Node& n, const std::string& where, F item) {
  if (!n.IsSequence()) r.fail(n, where, "expected a list");
  if (n.size() == 0) r.fail(n, where, "empty list (it needs at least one entry)");
  std::vector<T> out;
  for (size_t i = 0; i < n.size(); ++i)
    out.push_back(item(n[i], where + "[" + std::to_string(i) + "]"));
  return out;
}

DeviceMode read_mode(const Reader& r, const YAML::Node& n, const std::string& where) {
  const std::string v = r.scalar(n, where);
  for (DeviceMode m : {DeviceMode::kSingle, DeviceMode::kFused, DeviceMode::kTwoPe})
    if (v == mode_name(m)) return m;
  r.fail(n, where, "unknown mode \"" + v + "\" (known: single, fused, two-pe)");
}

WorkloadSpec read_workload(const Reader& r, const YAML::Node& n, const std::string& where,
                           uint64_t default_queries) {
  WorkloadSpec w;
  w.queries = default_queries;
  YAML::Node options;
  if (n.IsMap()) {
    const auto m = r.members(n, where, {"latency", "throughput"});
    if (m.size() != 1) r.fail(n, where, "expected one of latency, throughput");
    w.kind = m[0].first;
    options = m[0].second;
  } else {
    w.kind = r.scalar(n, where);
    if (w.kind != "latency" && w.kind != "throughput")
      r.fail(n, where, "unknown workload \"" + w.kind + "\" (known: latency, throughput)");
  }
  w.workers = w.kind == "throughput" ? 8 : 1;
  if (options.IsDefined() && !options.IsNull()) {
    const std::string at = where + "." + w.kind;
    const std::vector<std::string> known = w.kind == "throughput"
                                               ? std::vector<std::string>{"workers", "queries"}
                                               : std::vector<std::string>{"queries"};
    for (const auto& [key, value] : r.members(options, at, known)) {
      if (key == "workers") w.workers = int(r.count(value, at + ".workers", 1, 1024));
      if (key == "queries") w.queries = r.count(value, at + ".queries", 1, 1'000'000);
    }
  }
  return w;
}

// Checks one hardware assignment by applying it to a copy of `base`.
void check_assignment(const Reader& r, const YAML::Node& n, const std::string& where,
                      const isa::HwParams& base, const std::string& key, const std::string& value) {
  if (key == "preset")
    r.fail(n, where, "preset can only be set under hardware (it resets every key)");
  isa::HwParams p = base;
  try {
    isa::set_param(p, key, value);
  } catch (const isa::ParamError& e) {
    r.fail(n, where, e.what());
  }
}

// A grid key: one factor with one row per value.
HwFactor read_grid_axis(const Reader& r, const YAML::Node& n, const std::string& where,
                        const std::string& key, const isa::HwParams& base) {
  HwFactor f{where, {}};
  for (const std::string& v :
       read_list<std::string>(r, n, where, [&](const YAML::Node&item, const std::string&at) {
         const std::string value = r.scalar(item, at);
         check_assignment(r, item, at, base, key, value);
         return value;
       }))
    f.rows.push_back({{key, v}});
  return f;
}

// A zip group: lists of equal length that vary together.
HwFactor read_zip_group(const Reader& r, const YAML::Node& n, const std::string& where,
                        const isa::HwParams& base) {
  HwFactor f{where, {}};
  size_t length = 0;
  std::string first;
  for (const auto& [key, list] : r.members(n, where)) {
    const HwFactor axis = read_grid_axis(r, list, where + "." + key, key, base);
    if (first.empty()) {
      first = key;
      length = axis.rows.size();
      f.rows.resize(length);
    } else if (axis.rows.size() != length) {
      r.fail(list, where + "." + key,
             "has " + std::to_string(axis.rows.size()) + " values but " + first + " has " +
                 std::to_string(length) + " (zipped lists vary together and need equal lengths)");
    }
    for (size_t i = 0; i < length; ++i) f.rows[i].push_back(axis.rows[i][0]);
  }
  if (first.empty()) r.fail(n, where, "empty zip group (it needs at least one list)");
  return f;
}

HwFactor read_points(const Reader& r, const YAML::Node& n, const isa::HwParams& base) {
  HwFactor f{"points", {}};
  f.rows = read_list<std::vector<std::pair<std::string, std::string>>>(
      r, n, "points", [&](const YAML::Node& item, const std::string& at) {
        std::vector<std::pair<std::string, std::string>> row;
        isa::HwParams p = base;
        for (const auto& [key, value] : r.members(item, at)) {
          const std::string v = r.scalar(value, at + "." + key);
          check_assignment(r, value, at + "." + key, p, key, v);
          isa::set_param(p, key, v);
          row.emplace_back(key, v);
        }
        if (row.empty()) r.fail(item, at, "empty point (it needs at least one key)");
        return row;
      });
  return f;
}

// Every key appears in at most one place: hardware, a grid axis, one zip
// group, or the points (which may share keys among themselves).
void check_keys_unique(const Reader& r, const YAML::Node& root, const SweepSpec& s) {
  std::map<std::string, std::string> owner;
  const auto claim = [&](const std::string& key, const std::string& where) {
    const auto [it, fresh] = owner.emplace(key, where);
    if (!fresh && it->second != where)
      r.fail(root, where, "\"" + key + "\" is already set in " + it->second);
  };
  for (const auto& [key, value] : s.base_set) claim(key, "hardware");
  for (const auto& f : s.factors)
    for (const auto& row : f.rows)
      for (const auto& [key, value] : row) claim(key, f.where == "points" ? "points" : f.where);
}

std::vector<std::string> numeric_names() {
  std::vector<std::string> names;
  for (const auto& p : isa::param_numbers(isa::HwParams{})) names.push_back(p.key);
  return names;
}

void read_hardware(const Reader& r, const YAML::Node& root, SweepSpec& s) {
  if (const YAML::Node hw = root["hardware"]) {
    for (const auto& [key, value] : r.members(hw, "hardware")) {
      const std::string v = r.scalar(value, "hardware." + key);
      if (key == "preset" && !s.base_set.empty())
        r.fail(value, "hardware.preset", "preset must come first (it resets every other key)");
      try {
        isa::set_param(s.base, key, v);
      } catch (const isa::ParamError& e) {
        r.fail(value, "hardware." + key, e.what());
      }
      s.base_set.emplace_back(key, v);
    }
  }
  if (const YAML::Node grid = root["grid"])
    for (const auto& [key, list] : r.members(grid, "grid"))
      s.factors.push_back(read_grid_axis(r, list, "grid." + key, key, s.base));
  if (const YAML::Node zip = root["zip"]) {
    if (zip.IsSequence()) {
      for (size_t i = 0; i < zip.size(); ++i)
        s.factors.push_back(read_zip_group(r, zip[i], "zip[" + std::to_string(i) + "]", s.base));
    } else {
      s.factors.push_back(read_zip_group(r, zip, "zip", s.base));
    }
  }
  if (const YAML::Node points = root["points"]) s.factors.push_back(read_points(r, points, s.base));
  check_keys_unique(r, root, s);
}

void read_constraints(const Reader& r, const YAML::Node& root, SweepSpec& s) {
  const YAML::Node list = root["constraints"];
  if (!list) return;
  const std::vector<std::string> names = numeric_names();
  s.constraints = read_list<Constraint>(
      r, list, "constraints", [&](const YAML::Node& item, const std::string& at) {
        const std::string text = r.scalar(item, at);
        try {
          Expression e = Expression::parse(text, names);
          if (!e.is_condition())
            r.fail(item, at, "\"" + text + "\" is not a condition (compare with <, <=, ==, ...)");
          return Constraint{at, std::move(e)};
        } catch (const ExpressionError& e) {
          r.fail(item, at, e.what());
        }
      });
}

}  // namespace

std::string mode_name(DeviceMode m) {
  switch (m) {
    case DeviceMode::kSingle:
      return "single";
    case DeviceMode::kFused:
      return "fused";
    case DeviceMode::kTwoPe:
      return "two-pe";
  }
  return "?";
}

std::string mode_devices(DeviceMode m) {
  switch (m) {
    case DeviceMode::kSingle:
      return "npu0pe0";
    case DeviceMode::kFused:
      return "npu0pe0-1";
    case DeviceMode::kTwoPe:
      return "npu0pe0,npu0pe1";
  }
  return "";
}

std::vector<std::string> SweepSpec::swept_keys() const {
  std::vector<std::string> keys;
  for (const auto& f : factors)
    for (const auto& row : f.rows)
      for (const auto& [key, value] : row)
        if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
  return keys;
}

SweepSpec parse_spec(const std::string& text, const std::string& path) {
  const Reader r(path);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw SpecError(path + ":" + std::to_string(e.mark.line + 1) + ": not valid YAML: " + e.msg);
  }
  if (!root.IsMap()) r.fail(root, "spec", "expected a map with models, grid, ... (docs/sweep.md)");
  r.members(root, "", kTopLevelKeys);  // unknown or repeated top-level keys

  SweepSpec s;
  s.path = path;
  s.text = text;
  s.name = root["name"] ? r.scalar(root["name"], "name") : fs::path(path).stem().string();
  if (!root["models"]) r.fail(root, "models", "missing (the models to sweep)");
  s.models = read_list<ModelSpec>(
      r, root["models"], "models",
      [&](const YAML::Node& n, const std::string& at) { return read_model(r, n, at, path); });
  s.modes = root["modes"] ? read_list<DeviceMode>(r, root["modes"], "modes",
                                                  [&](const YAML::Node& n, const std::string& at) {
                                                    return read_mode(r, n, at);
                                                  })
                          : std::vector<DeviceMode>{DeviceMode::kSingle};
  const uint64_t queries =
      root["queries"] ? r.count(root["queries"], "queries", 1, 1'000'000) : uint64_t(8);
  s.workloads = root["workloads"]
                    ? read_list<WorkloadSpec>(r, root["workloads"], "workloads",
                                              [&](const YAML::Node& n, const std::string& at) {
                                                return read_workload(r, n, at, queries);
                                              })
                    : std::vector<WorkloadSpec>{WorkloadSpec{"latency", 1, queries}};
  if (root["arithmetic"]) s.arithmetic = r.boolean(root["arithmetic"], "arithmetic");
  if (root["layers"]) s.layers = r.boolean(root["layers"], "layers");
  if (root["cache_dir"]) s.cache_dir = r.scalar(root["cache_dir"], "cache_dir");
  if (const YAML::Node u = root["uncompilable"]) {
    const std::string v = r.scalar(u, "uncompilable");
    if (v != "refuse" && v != "record")
      r.fail(u, "uncompilable", "expected refuse or record, got \"" + v + "\"");
    s.record_uncompilable = v == "record";
  }
  read_hardware(r, root, s);
  read_constraints(r, root, s);
  return s;
}

SweepSpec load_spec(const std::string& path) {
  if (fs::is_directory(path)) throw SpecError(path + ": is a directory, not a sweep spec");
  std::ifstream in(path);
  if (!in) throw SpecError(path + ": cannot open the sweep spec");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_spec(text.str(), path);
}

}  // namespace npusim::sweep
