// A sweep specification (YAML, docs/sweep.md): models, device modes,
// workloads, and the hardware space as a grid, zipped lists and explicit
// points with the keys and units of docs/params.md, filtered by derived
// constraints. load_spec() checks everything it can without compiling and
// refuses a bad spec with SpecError naming the file, line, key and value.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "npusim/isa/hw_params.hpp"
#include "npusim/sweep/expression.hpp"

namespace npusim::sweep {

class SpecError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// single: one PE (npu0pe0); fused: both PEs as one (npu0pe0-1); two-pe: two
// single-PE programs side by side (npu0pe0,npu0pe1).
enum class DeviceMode { kSingle, kFused, kTwoPe };
std::string mode_name(DeviceMode m);
std::string mode_devices(DeviceMode m);  // the runtime's device string

struct ModelSpec {
  std::string name;  // what tables and plots call it (default: the file name's stem)
  std::string path;  // absolute
  std::map<std::string, std::vector<int64_t>> input_shapes;  // ONNX dynamic dims
};

// latency: one request at a time; throughput: `workers` requests in flight.
struct WorkloadSpec {
  std::string kind;  // "latency" or "throughput"
  int workers = 1;
  uint64_t queries = 8;  // requests per point
};

// One factor of the hardware space: a grid key (one key), a zip group (keys
// that vary together) or the explicit points (each a set of keys). `rows[i]`
// holds (key, value) assignments for the factor's i-th value.
struct HwFactor {
  std::string where;  // "grid.sram_per_pe", "zip[0]", "points"
  std::vector<std::vector<std::pair<std::string, std::string>>> rows;
};

struct Constraint {
  std::string where;  // "constraints[0]"
  Expression expression;
};

struct SweepSpec {
  std::string path, text;  // the file and its contents
  std::string name;
  std::vector<ModelSpec> models;
  std::vector<DeviceMode> modes;
  std::vector<WorkloadSpec> workloads;
  isa::HwParams base;                                         // warboy + `hardware`
  std::vector<std::pair<std::string, std::string>> base_set;  // `hardware`, as written
  std::vector<HwFactor> factors;
  std::vector<Constraint> constraints;
  bool arithmetic = false;           // full arithmetic instead of timing-only
  bool layers = true;                // per-layer rows (the device trace)
  bool record_uncompilable = false;  // uncompilable: record (else refuse the spec)
  std::string cache_dir;             // compile cache ("" = the runtime's default)

  std::vector<std::string> swept_keys() const;  // in factor order
};

// Reads and checks a spec. Relative model paths are relative to the spec's
// directory; "~/" is the home directory.
SweepSpec load_spec(const std::string& path);
SweepSpec parse_spec(const std::string& text, const std::string& path);

}  // namespace npusim::sweep
