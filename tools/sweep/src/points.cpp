#include "npusim/sweep/points.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>

namespace npusim::sweep {

namespace {

// The canonical text of a swept key's value (what describe() prints), or the
// value as written for keys describe() does not list (array_rows, clock_hz).
std::string canonical_value(const isa::HwParams& hw, const std::string& key,
                            const std::string& written) {
  for (const auto& [k, v] : isa::describe(hw))
    if (k == key) return v;
  return written;
}

// The cartesian product of the factors: each element is the assignments of
// one hardware point, in factor order.
std::vector<std::vector<std::pair<std::string, std::string>>> product(
    const std::vector<HwFactor>& factors) {
  std::vector<std::vector<std::pair<std::string, std::string>>> out{{}};
  for (const auto& f : factors) {
    std::vector<std::vector<std::pair<std::string, std::string>>> next;
    for (const auto& prefix : out)
      for (const auto& row : f.rows) {
        auto combined = prefix;
        combined.insert(combined.end(), row.begin(), row.end());
        next.push_back(std::move(combined));
      }
    out = std::move(next);
  }
  return out;
}

bool allowed(const SweepSpec& spec, const isa::HwParams& hw) {
  std::map<std::string, double> values;
  for (const auto& n : isa::param_numbers(hw)) values[n.key] = double(n.value);
  for (const auto& c : spec.constraints)
    if (c.expression.evaluate(values) == 0) return false;
  return true;
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw SpecError(path + ": cannot read the model");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string label_of(const std::vector<std::pair<std::string, std::string>>& swept) {
  std::string s;
  for (const auto& [k, v] : swept) s += (s.empty() ? "" : " ") + k + "=" + v;
  return s.empty() ? "(base)" : s;
}

std::string shape_text(const std::vector<int64_t>& dims) {
  std::string s;
  for (int64_t d : dims) s += (s.empty() ? "" : "x") + std::to_string(d);
  return s;
}

}  // namespace

std::string hash_hex(const std::string& bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return hex;
}

std::string Point::label() const {
  return label_of(swept);
}

std::string Point::key_text() const {
  std::ostringstream s;
  s << "model " << model_hash << "\n";
  for (const auto& [name, dims] : input_shapes)
    s << "input_shape " << name << "=" << shape_text(dims) << "\n";
  s << "mode " << mode_name(mode) << "\n"
    << "workload " << workload.kind << " workers " << workload.workers << " queries "
    << workload.queries << "\n"
    << "arithmetic " << arithmetic << "\n"
    << "layers " << layers << "\n"
    << isa::to_text(hw);
  return s.str();
}

std::string Point::compile_group() const {
  std::ostringstream s;
  s << model_hash << "\n" << (fused() ? "fused" : "single") << "\n";
  for (const auto& [name, dims] : input_shapes) s << name << "=" << shape_text(dims) << "\n";
  return s.str() + isa::program_relevant_text(hw);
}

nlohmann::json to_json(const Point& p) {
  nlohmann::json shapes = nlohmann::json::object();
  for (const auto& [name, dims] : p.input_shapes) shapes[name] = dims;
  nlohmann::json swept = nlohmann::json::array();
  for (const auto& [k, v] : p.swept) swept.push_back({k, v});
  return {{"key", p.key},
          {"model", p.model},
          {"model_path", p.model_path},
          {"model_hash", p.model_hash},
          {"input_shapes", shapes},
          {"mode", mode_name(p.mode)},
          {"workload", p.workload.kind},
          {"workers", p.workload.workers},
          {"queries", p.workload.queries},
          {"hw", isa::to_text(p.hw)},
          {"swept", swept},
          {"arithmetic", p.arithmetic},
          {"layers", p.layers},
          {"cache_dir", p.cache_dir}};
}

Point point_from_json(const nlohmann::json& j) {
  Point p;
  p.key = j.at("key").get<std::string>();
  p.model = j.at("model").get<std::string>();
  p.model_path = j.at("model_path").get<std::string>();
  p.model_hash = j.at("model_hash").get<std::string>();
  for (const auto& [name, dims] : j.at("input_shapes").items())
    p.input_shapes[name] = dims.get<std::vector<int64_t>>();
  const std::string mode = j.at("mode").get<std::string>();
  for (DeviceMode m : {DeviceMode::kSingle, DeviceMode::kFused, DeviceMode::kTwoPe})
    if (mode == mode_name(m)) p.mode = m;
  p.workload.kind = j.at("workload").get<std::string>();
  p.workload.workers = j.at("workers").get<int>();
  p.workload.queries = j.at("queries").get<uint64_t>();
  std::istringstream hw(j.at("hw").get<std::string>());
  for (std::string line; std::getline(hw, line);)
    if (!line.empty() && line[0] != '#') isa::apply_assignment(p.hw, line);
  for (const auto& kv : j.at("swept")) p.swept.emplace_back(kv[0], kv[1]);
  p.arithmetic = j.at("arithmetic").get<bool>();
  p.layers = j.at("layers").get<bool>();
  p.cache_dir = j.at("cache_dir").get<std::string>();
  return p;
}

Enumeration enumerate_points(const SweepSpec& spec) {
  Enumeration e;
  std::vector<std::pair<isa::HwParams, std::vector<std::pair<std::string, std::string>>>> hardware;
  for (const auto& assignments : product(spec.factors)) {
    isa::HwParams hw = spec.base;
    for (const auto& [k, v] : assignments) isa::set_param(hw, k, v);
    if (!allowed(spec, hw)) {
      ++e.excluded;
      continue;
    }
    std::vector<std::pair<std::string, std::string>> swept;
    for (const auto& [k, v] : assignments) swept.emplace_back(k, canonical_value(hw, k, v));
    hardware.emplace_back(hw, std::move(swept));
  }
  if (hardware.empty())
    throw SpecError(spec.path + ": constraints: they exclude every one of the " +
                    std::to_string(e.excluded) + " hardware points");
  e.hardware_points = hardware.size();
  for (const auto& m : spec.models) {
    const std::string model_hash = hash_hex(read_bytes(m.path));
    for (const auto& [hw, swept] : hardware)
      for (DeviceMode mode : spec.modes) {
        if (mode != DeviceMode::kSingle && hw.num_pes < 2)
          throw SpecError(spec.path + ": modes: " + mode_name(mode) +
                          " needs 2 PEs, but num_pes=" + std::to_string(hw.num_pes) +
                          (swept.empty() ? " in hardware" : " at " + label_of(swept)));
        for (const WorkloadSpec& w : spec.workloads) {
          Point p;
          p.model = m.name;
          p.model_path = m.path;
          p.model_hash = model_hash;
          p.input_shapes = m.input_shapes;
          p.mode = mode;
          p.workload = w;
          p.hw = hw;
          p.swept = swept;
          p.arithmetic = spec.arithmetic;
          p.layers = spec.layers;
          p.cache_dir = spec.cache_dir;
          p.key = hash_hex(p.key_text());
          e.points.push_back(std::move(p));
        }
      }
  }
  return e;
}

}  // namespace npusim::sweep
