// The points of a sweep: every model x hardware point x mode x workload the
// spec names, minus those its constraints exclude. A point carries all it
// needs to run (a worker process or a Slurm task gets it as JSON, never the
// spec), and a key that identifies it across runs: the model's bytes, the
// mode, the workload, the arithmetic setting and every hardware parameter.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "npusim/sweep/spec.hpp"

namespace npusim::sweep {

struct Point {
  std::string key;  // 16 hex digits of the hash of key_text()
  std::string model, model_path, model_hash;
  std::map<std::string, std::vector<int64_t>> input_shapes;
  DeviceMode mode = DeviceMode::kSingle;
  WorkloadSpec workload;
  isa::HwParams hw;
  // The swept parameters with their canonical values, in the spec's order.
  std::vector<std::pair<std::string, std::string>> swept;
  bool arithmetic = false, layers = true;
  std::string cache_dir;

  std::string label() const;     // "sram_per_pe=8MiB dram_bandwidth=33GB/s"
  std::string key_text() const;  // what the key hashes
  bool fused() const { return mode == DeviceMode::kFused; }
  // Points that share it share one compiled program.
  std::string compile_group() const;
};

nlohmann::json to_json(const Point& p);
Point point_from_json(const nlohmann::json& j);  // throws on a malformed point

struct Enumeration {
  std::vector<Point> points;
  size_t excluded = 0;  // hardware combinations the constraints removed (per model, mode, workload)
  size_t hardware_points = 0;  // hardware combinations kept
};

// Expands the spec. Throws SpecError when a kept point is impossible before
// compiling (fused or two-pe with one PE) or the constraints exclude every point.
Enumeration enumerate_points(const SweepSpec& spec);

// FNV-1a 64 of `bytes` as 16 hex digits.
std::string hash_hex(const std::string& bytes);

}  // namespace npusim::sweep
