// The compiler reads only isa::program_relevant_keys(): compiled for
// hardware that differs in every other parameter, a model gives the same
// program byte for byte. The compile cache and the .npub hardware check rely
// on this; when the compiler starts reading another parameter, this test
// fails and the key belongs in program_relevant_keys().
#include <gtest/gtest.h>

#include <algorithm>

#include "model_builder.hpp"
#include "npusim/compiler/compile.hpp"

namespace npusim::testing {
namespace {

// `base` with every parameter that is not program-relevant changed.
isa::HwParams other_timing_parameters(const isa::HwParams& base) {
  isa::HwParams hw = base;
  for (const char* a : {"clock=1.2GHz", "dram_size=2GiB", "dram_bandwidth=17GB/s",
                        "host_link=3GB/s", "pe_link=9GB/s", "vector_lanes=16", "dma_setup_cycles=7",
                        "dma_burst=512B", "matrix_issue_cycles=3", "vector_issue_cycles=5",
                        "watchdog_cycles=123456", "host_cores=2", "host_op=9us"})
    isa::apply_assignment(hw, a);
  for (const auto& [key, value] : isa::describe(hw)) {
    const auto& relevant = isa::program_relevant_keys();
    const bool is_relevant = std::find(relevant.begin(), relevant.end(), key) != relevant.end();
    if (key == "preset" || is_relevant) continue;
    bool changed = false;
    for (const auto& [k, v] : isa::describe(base))
      if (k == key) changed = v != value;
    EXPECT_TRUE(changed) << key << " is not changed by this test";
  }
  return hw;
}

std::vector<uint8_t> compiled_bytes(isa::Mode target, const isa::HwParams& hw) {
  compiler::CompileOptions o;
  o.hw = hw;
  o.target = target;
  isa::Program p = compiler::compile(two_conv_model(), o).program;
  p.hw = isa::HwParams{};  // the header records the hardware; compare the code
  return isa::serialize(p);
}

TEST(ProgramRelevantKeys, OtherParametersDoNotChangeTheProgram) {
  for (const isa::Mode target : {isa::Mode::kSingle, isa::Mode::kFused}) {
    isa::HwParams base;
    base.sram_per_pe = 64 << 10;  // tiled, so the SRAM size shapes the code
    EXPECT_EQ(compiled_bytes(target, base), compiled_bytes(target, other_timing_parameters(base)))
        << isa::mode_name(target);
  }
}

}  // namespace
}  // namespace npusim::testing
