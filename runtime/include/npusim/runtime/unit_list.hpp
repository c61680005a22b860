// Unit lists: the device strings of cooperative runs (npusim split,
// runtime::CoopRunner; docs/coop.md). A unit is one thing that runs whole
// queries on its own: an NPU chip (the PEs the list names on it) or the
// host CPU running the reference executor. Entries, comma-separated:
//   npu0pe0, npu0pe1, npu0pe0-1 (and the SDK aliases)   PEs of chip 0
//   npu0, npu1, ...                                      a whole chip (two single PEs)
//   npu1pe0, npu1pe1, npu1pe0-1, ...                     PEs of another chip
//   cpu                                                  the host CPU
// PEs of one chip form one unit (they share the chip's DRAM); each chip has
// hardware parameters of its own (--hw npu1:FILE, --set npu1.KEY=VALUE).
#pragma once

#include <string>
#include <vector>

namespace npusim::runtime {

enum class UnitKind { kNpu, kCpu };

// The most chips a unit list may name (npu0 ... npu7).
inline constexpr int kMaxChips = 8;

struct UnitSpec {
  std::string name;  // "npu0", "npu1", "cpu"
  UnitKind kind = UnitKind::kNpu;
  int chip = 0;  // NPU units: the chip's number in the list
  // NPU units: the PEs as the simulated chip names them ("npu0pe0",
  // "npu0pe0-1"): every chip is simulated by the one in-process device,
  // configured with that chip's parameters.
  std::vector<std::string> pes;
  std::string devices() const;  // pes, comma-separated (RunnerOptions::devices)
  // A PE's name on this unit's chip: "npu0pe1" on npu1 -> "npu1pe1".
  std::string pe_name(const std::string& simulated) const;
  std::string describe() const;  // "npu1 (npu1pe0,npu1pe1)", "cpu"
};

// True when `spec` needs units: it names the CPU, a whole chip or a chip
// other than npu0. Plain PE lists ("npu0pe0,npu0pe1") are device strings.
bool is_unit_list(const std::string& spec);

// Parses a unit list; units in the order the list first names them. Throws
// RuntimeError (kInvalidInput) naming the bad entry: an unknown form, a
// chip beyond npu7, a PE listed twice on one chip, cpu listed twice.
std::vector<UnitSpec> parse_unit_list(const std::string& spec);

}  // namespace npusim::runtime
