// Comparing two instruction traces (`npusim trace-diff A B`, docs/debug.md):
// e.g. two hardware configurations, two compiler versions, or a program and
// a corrupted copy. Instructions are matched by (task, slot, engine, index);
// a difference is another instruction there (opcode or operands), another
// written range or checksum, or an instruction only one side has. Cycles
// differ between hardware configurations by design: they are compared apart.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace npusim::debug {

// One line of a trace (instruction_trace.hpp).
struct TracedInstruction {
  uint64_t task = 0;
  int slot = 0;
  std::string engine;
  uint32_t index = 0;
  int pe = 0;
  uint64_t start = 0, end = 0;
  std::string assembly, write, checksum;
  std::string key() const;  // "task 0 slot 0 load #3"
};

// Reads a trace file; errors name the file and line.
std::vector<TracedInstruction> read_trace(const std::string& path);

struct TraceDifference {
  std::optional<TracedInstruction> a, b;  // one is empty for an instruction only one side has
  std::string what;  // "checksum", "operands", "written range", "only in A", ...
};

struct TraceDiff {
  size_t a_count = 0, b_count = 0;
  size_t differing = 0, only_a = 0, only_b = 0, other_cycles = 0;
  uint64_t a_end = 0, b_end = 0;  // the last end cycle of each run
  // The first difference: the differing instruction that started earliest
  // in A (the cause comes before what it corrupts), ties in trace order.
  std::optional<TraceDifference> first;
  // The first instruction (trace order) whose start or end cycle differs.
  std::optional<TraceDifference> first_cycles;
  bool same(bool with_cycles) const { return !first && (!with_cycles || !first_cycles); }
};

TraceDiff diff_traces(const std::vector<TracedInstruction>& a,
                      const std::vector<TracedInstruction>& b);

}  // namespace npusim::debug
