// Hardware parameters of the simulated NPU: one struct, read at run time.
// Keys, units and meanings are fixed in docs/params.md.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace npusim::isa {

// Dataflow of the matrix unit (see docs/timing.md).
enum class Dataflow { kWeightStationary, kOutputStationary };

struct HwParams {
  std::string name = "warboy";
  int num_pes = 2;                    // processing elements on the chip
  uint64_t clock_hz = 2'000'000'000;  // device clock
  int array_rows = 64;                // matrix unit: reduction dimension
  int array_cols = 128;               // matrix unit: output channels
  Dataflow dataflow = Dataflow::kWeightStationary;
  uint64_t sram_per_pe = 16ull << 20;        // bytes
  uint64_t dram_size = 16ull << 30;          // bytes
  uint64_t dram_bandwidth = 66'000'000'000;  // bytes/s, shared by all DMA engines
  uint64_t host_link = 15'750'000'000;       // bytes/s per direction (PCIe Gen4 x8)
  uint64_t pe_link = 64'000'000'000;         // bytes/s between the two PEs' SRAMs (fused)
  int vector_lanes = 64;                     // vector unit: elements per cycle
  int dma_setup_cycles = 64;                 // fixed cost per DMA instruction
  uint64_t dma_burst = 4096;                 // bytes per DRAM / host-link burst (arbitration unit)
  int matrix_issue_cycles = 16;              // fixed cost per matrix instruction
  int vector_issue_cycles = 8;               // fixed cost per vector instruction
  int num_semaphores = 32;                   // per PE
  uint64_t watchdog_cycles = 10'000'000;     // progress watchdog period
  int host_cores = 8;                        // host CPU cores available to the runtime
  uint64_t host_op_ns = 2'000;               // host driver overhead per submitted command

  double cycle_ns() const { return 1e9 / static_cast<double>(clock_hz); }
  uint64_t macs_per_cycle() const { return uint64_t(array_rows) * uint64_t(array_cols); }
};

// The device clock period in whole picoseconds (at least 1): the simulated
// device keeps time in ps, so `cycles` of a counter or trace record took
// exactly cycles * clock_period_ps(clock_hz) ps. Integer arithmetic: a double
// product cycles * 1e12 loses picoseconds beyond 2^53.
uint64_t clock_period_ps(uint64_t clock_hz);

// A bad key or value, with the key and value named in the message.
class ParamError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The named presets: "warboy" (default) and "small" (a 16x16 array for
// comparisons with published systolic-array simulators).
HwParams preset(const std::string& name);
std::vector<std::string> preset_names();

// Sets one parameter from text, e.g. set_param(p, "sram_per_pe", "16MiB").
// Throws ParamError naming the key and value when either is bad.
void set_param(HwParams& params, const std::string& key, const std::string& value);

// Applies "key=value" (as given to --set).
void apply_assignment(HwParams& params, const std::string& assignment);

// Reads a parameter file: one "key = value" per line, '#' comments,
// optionally "preset = NAME" first. Errors name the file and line.
HwParams load_params_file(const std::string& path);
// The same from text already read; `origin` names it in messages.
HwParams parse_params_text(const std::string& text, const std::string& origin);

// Every key with its value, in canonical units (what docs/params.md lists).
std::vector<std::pair<std::string, std::string>> describe(const HwParams& params);

// The same text form that load_params_file reads back to an equal struct.
std::string to_text(const HwParams& params);

bool operator==(const HwParams& a, const HwParams& b);

// A numeric parameter in its base unit: bytes ("B"), bytes per second
// ("B/s"), Hz, ns, "cycles", or "" for a plain count. array_rows and
// array_cols stand for array; preset and dataflow are not numbers.
struct ParamNumber {
  std::string key;
  uint64_t value = 0;
  std::string unit;
};
std::vector<ParamNumber> param_numbers(const HwParams& params);

// A quantity written with a unit of docs/params.md, in its base unit:
// "16MiB" -> 16777216 B, "66GB/s" -> 66e9 B/s, "2GHz" -> 2e9 Hz, "2us" ->
// 2000 ns. Throws ParamError naming the text.
struct Quantity {
  uint64_t value = 0;
  std::string unit;  // "B", "B/s", "Hz" or "ns"
};
Quantity parse_quantity_text(const std::string& text);

// The parameters compiled code depends on, as describe() keys: num_pes,
// array, dataflow, sram_per_pe, num_semaphores (docs/params.md, "What a
// program depends on"). A program runs unchanged on any hardware that agrees
// on these; a compile cache keys on them and nothing else.
const std::vector<std::string>& program_relevant_keys();

// The first program-relevant key on which the hardware a program was
// compiled for and a device differ, with both values in canonical text.
struct ParamDifference {
  std::string key, compiled, device;
};
std::optional<ParamDifference> program_difference(const HwParams& compiled, const HwParams& device);

// "key=value\n" for each program-relevant key, in describe() order.
std::string program_relevant_text(const HwParams& params);

}  // namespace npusim::isa
