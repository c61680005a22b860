// Builds single-segment programs in tests: instructions per stream, weights,
// I/O tensors, with the encoding done by the ISA library.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "npusim/isa/program.hpp"

namespace npusim::testing {

class ProgramBuilder {
 public:
  explicit ProgramBuilder(isa::Mode mode = isa::Mode::kSingle, isa::HwParams hw = isa::HwParams{});

  ProgramBuilder& emit(isa::Engine engine, const isa::Instruction& in, int slot = 0);
  // Appends bytes to the weights segment; returns their offset (DRAM base 0).
  uint64_t add_weights(const std::vector<uint8_t>& bytes);
  ProgramBuilder& scratch(uint64_t bytes);
  // Declares an I/O tensor placed at `offset` of the I/O area (DRAM base 2).
  ProgramBuilder& input(const std::string& name, std::vector<int64_t> shape, uint64_t offset,
                        const std::string& dtype = "int8");
  ProgramBuilder& output(const std::string& name, std::vector<int64_t> shape, uint64_t offset,
                         const std::string& dtype = "int8");
  // Appends `end` to every non-empty stream and returns the program.
  isa::Program build();

 private:
  isa::Program program_;
  isa::NpuSegment segment_;
  std::vector<isa::Instruction> code_[2][isa::kNumEngines];
};

// Seeded random bytes.
std::vector<uint8_t> random_bytes(size_t n, uint32_t seed);

}  // namespace npusim::testing
