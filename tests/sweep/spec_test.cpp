// Sweep specs: every section read as docs/sweep.md describes it, the points
// they expand to, and a refusal naming the file, line, key and value for
// every kind of bad spec.
#include "npusim/sweep/spec.hpp"

#include <gtest/gtest.h>

#include <set>

#include "npusim/sweep/points.hpp"
#include "sweep_fixture.hpp"

namespace npusim::testing {
namespace {

using sweep::DeviceMode;
using sweep::SpecError;

class SpecTest : public SweepTest {
 protected:
  void SetUp() override {
    SweepTest::SetUp();
    write("m.onnx", "model bytes");  // the spec only checks that models exist
    write("other.onnx", "other model bytes");
  }
  sweep::SweepSpec parse(const std::string& text) {
    return sweep::parse_spec(text, path("s.yaml"));
  }
  std::string error_of(const std::string& text) {
    try {
      sweep::enumerate_points(parse(text));
    } catch (const SpecError& e) {
      std::string m = e.what();
      const std::string prefix = path("s.yaml");
      return m.rfind(prefix, 0) == 0 ? "s.yaml" + m.substr(prefix.size()) : m;
    }
    return "(accepted)";
  }
};

TEST_F(SpecTest, EverySectionIsRead) {
  const sweep::SweepSpec s = parse(R"(
name: study
models:
  - m.onnx
  - {path: other.onnx, name: other, input_shapes: {x: 1x3x64x64}}
modes: [single, fused, two-pe]
workloads: [latency, {throughput: {workers: 4, queries: 16}}]
queries: 3
arithmetic: true
layers: false
uncompilable: record
cache_dir: /tmp/c
hardware: {preset: small, host_link: 31.5GB/s}
grid:
  sram_per_pe: [4MiB, 8MiB]
zip:
  array: [32x64, 64x128]
  clock: [1GHz, 2GHz]
points:
  - {dram_bandwidth: 33GB/s}
  - {dram_bandwidth: 66GB/s, dma_burst: 1KiB}
constraints:
  - sram_per_pe / 1MiB + array_rows <= 100
)");
  EXPECT_EQ(s.name, "study");
  ASSERT_EQ(s.models.size(), 2u);
  EXPECT_EQ(s.models[0].name, "m");
  EXPECT_EQ(s.models[0].path, path("m.onnx"));
  EXPECT_EQ(s.models[1].name, "other");
  EXPECT_EQ(s.models[1].input_shapes.at("x"), (std::vector<int64_t>{1, 3, 64, 64}));
  EXPECT_EQ(s.modes,
            (std::vector<DeviceMode>{DeviceMode::kSingle, DeviceMode::kFused, DeviceMode::kTwoPe}));
  ASSERT_EQ(s.workloads.size(), 2u);
  EXPECT_EQ(s.workloads[0].kind, "latency");
  EXPECT_EQ(s.workloads[0].workers, 1);
  EXPECT_EQ(s.workloads[0].queries, 3u);
  EXPECT_EQ(s.workloads[1].workers, 4);
  EXPECT_EQ(s.workloads[1].queries, 16u);
  EXPECT_TRUE(s.arithmetic);
  EXPECT_FALSE(s.layers);
  EXPECT_TRUE(s.record_uncompilable);
  EXPECT_EQ(s.cache_dir, "/tmp/c");
  EXPECT_EQ(s.base.array_rows, 16);  // preset small
  EXPECT_EQ(s.base.host_link, 31'500'000'000u);
  EXPECT_EQ(s.swept_keys(), (std::vector<std::string>{"sram_per_pe", "array", "clock",
                                                      "dram_bandwidth", "dma_burst"}));
  ASSERT_EQ(s.factors.size(), 3u);
  EXPECT_EQ(s.factors[1].rows.size(), 2u);  // the zip: two values, not four
}

// grid x zip x points, minus what the constraints exclude; each point's
// label has the canonical values, and its key is stable and its own.
TEST_F(SpecTest, PointsAreTheProductMinusTheConstraints) {
  const std::string spec = R"(
models: [m.onnx, other.onnx]
modes: [single, fused]
grid:
  sram_per_pe: [4096KiB, 8MiB, 16MiB]
zip:
  array: [32x64, 64x128]
  clock: [1000MHz, 2GHz]
constraints:
  - not (sram_per_pe == 16MiB and array_rows == 64)
)";
  const sweep::Enumeration e = sweep::enumerate_points(parse(spec));
  EXPECT_EQ(e.excluded, 1u);
  EXPECT_EQ(e.hardware_points, 5u);
  ASSERT_EQ(e.points.size(), 5u * 2 * 2);
  EXPECT_EQ(e.points[0].label(), "sram_per_pe=4MiB array=32x64 clock=1GHz");
  EXPECT_EQ(e.points[0].hw.sram_per_pe, 4u << 20);
  EXPECT_EQ(e.points[0].hw.clock_hz, 1'000'000'000u);
  std::set<std::string> keys;
  for (const auto& p : e.points) {
    keys.insert(p.key);
    EXPECT_FALSE(p.hw.sram_per_pe == 16u << 20 && p.hw.array_rows == 64) << p.label();
    const sweep::Point back = sweep::point_from_json(sweep::to_json(p));
    EXPECT_EQ(back.key_text(), p.key_text());
    EXPECT_EQ(sweep::hash_hex(back.key_text()), p.key);
    EXPECT_EQ(back.label(), p.label());
  }
  EXPECT_EQ(keys.size(), e.points.size());
  const sweep::Enumeration again = sweep::enumerate_points(parse(spec));
  EXPECT_EQ(again.points[7].key, e.points[7].key);
  // Bandwidths share a compiled program; SRAM sizes and targets do not.
  EXPECT_EQ(e.points[0].compile_group(), e.points[0].compile_group());
  EXPECT_NE(e.points[0].compile_group(), e.points[1].compile_group());  // fused
}

TEST_F(SpecTest, BadSpecsAreRefusedNamingTheKeyAndValue) {
  const std::string m = "models: [m.onnx]\n";
  EXPECT_EQ(error_of(m + "grid: {sram: [4MiB]}\n"),
            "s.yaml:2: grid.sram[0]: unknown hardware parameter \"sram\" (known: preset, "
            "num_pes, clock, array, array_rows, array_cols, dataflow, sram_per_pe, dram_size, "
            "dram_bandwidth, host_link, pe_link, vector_lanes, dma_setup_cycles, dma_burst, "
            "matrix_issue_cycles, vector_issue_cycles, num_semaphores, watchdog_cycles, "
            "host_cores, host_op, clock_hz, host_op_ns)");
  EXPECT_EQ(error_of(m + "grid:\n  sram_per_pe: [4MiB, 4MB]\n"),
            "s.yaml:3: grid.sram_per_pe[1]: bad value \"4MB\" for sram_per_pe: expected a size "
            "like 16MiB (units GiB, MiB, KiB, B)");
  EXPECT_EQ(error_of(m + "grid:\n  sram_per_pe: [32KiB]\n"),
            "s.yaml:3: grid.sram_per_pe[0]: bad value \"32KiB\" for sram_per_pe: must be "
            "between 64KiB and 1GiB");
  EXPECT_EQ(error_of(m + "grid:\n  sram_per_pe: []\n"),
            "s.yaml:3: grid.sram_per_pe: empty list (it needs at least one entry)");
  EXPECT_EQ(error_of(m + "grid:\n  sram_per_pe: 4MiB\n"),
            "s.yaml:3: grid.sram_per_pe: expected a list");
  EXPECT_EQ(error_of(m + "zip:\n  array: [32x64, 64x128]\n  clock: [1GHz]\n"),
            "s.yaml:4: zip.clock: has 1 values but array has 2 (zipped lists vary together and "
            "need equal lengths)");
  EXPECT_EQ(error_of(m + "sweep: {}\n"),
            "s.yaml:2: sweep: unknown key \"sweep\" (known: name, models, modes, workloads, "
            "queries, arithmetic, layers, hardware, grid, zip, points, constraints, "
            "uncompilable, cache_dir)");
  EXPECT_EQ(error_of(m + "modes: [single, double]\n"),
            "s.yaml:2: modes[1]: unknown mode \"double\" (known: single, fused, two-pe)");
  EXPECT_EQ(error_of(m + "workloads: [{throughput: {workers: 0}}]\n"),
            "s.yaml:2: workloads[0].throughput.workers: bad value \"0\": expected a whole number "
            "from 1 to 1024");
  EXPECT_EQ(error_of(m + "hardware: {sram_per_pe: 8MiB}\ngrid: {sram_per_pe: [4MiB]}\n"),
            "s.yaml:1: grid.sram_per_pe: \"sram_per_pe\" is already set in hardware");
  EXPECT_EQ(error_of(m + "grid: {preset: [small]}\n"),
            "s.yaml:2: grid.preset[0]: preset can only be set under hardware (it resets every "
            "key)");
  EXPECT_EQ(error_of(m + "constraints: [sram_per_pe / 1MiB]\n"),
            "s.yaml:2: constraints[0]: \"sram_per_pe / 1MiB\" is not a condition (compare with "
            "<, <=, ==, ...)");
  EXPECT_EQ(error_of(m + "constraints: [area < 3]\n"),
            "s.yaml:2: constraints[0]: in \"area < 3\" at character 1: unknown name \"area\" "
            "(known: num_pes, clock, array_rows, array_cols, sram_per_pe, dram_size, "
            "dram_bandwidth, host_link, pe_link, vector_lanes, dma_setup_cycles, dma_burst, "
            "matrix_issue_cycles, vector_issue_cycles, num_semaphores, watchdog_cycles, "
            "host_cores, host_op)");
  EXPECT_EQ(error_of(m + "grid: {sram_per_pe: [4MiB]}\nconstraints: [sram_per_pe > 1GiB]\n"),
            "s.yaml: constraints: they exclude every one of the 1 hardware points");
  EXPECT_EQ(error_of(m + "modes: [fused]\nhardware: {num_pes: 1}\n"),
            "s.yaml: modes: fused needs 2 PEs, but num_pes=1 in hardware");
  EXPECT_EQ(error_of(m + "modes: [single, two-pe]\ngrid: {num_pes: [2, 1]}\n"),
            "s.yaml: modes: two-pe needs 2 PEs, but num_pes=1 at num_pes=1");
  EXPECT_EQ(error_of("models: [missing.onnx]\n"),
            "s.yaml:1: models[0]: no such file \"missing.onnx\" (" + path("missing.onnx") + ")");
  EXPECT_EQ(error_of("models: [m.txt]\n"),
            "s.yaml:1: models[0]: \"m.txt\" is neither an .onnx nor an .npub file");
  EXPECT_EQ(error_of("grid: {}\n"), "s.yaml:1: models: missing (the models to sweep)");
  EXPECT_EQ(error_of("models: [m.onnx\n"),
            "s.yaml:2: not valid YAML: end of sequence flow not found");
  EXPECT_EQ(error_of(m + "arithmetic: maybe\n"),
            "s.yaml:2: arithmetic: expected true or false, got \"maybe\"");
}

}  // namespace
}  // namespace npusim::testing
