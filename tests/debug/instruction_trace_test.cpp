// npusim exec --trace-instructions / --trace-values and npusim trace-diff,
// run as a user would on a small model compiled by the test: the trace lists
// every instruction of the program once, with monotonic cycles per engine; a
// re-run gives the same file byte for byte; a corrupted weight byte makes
// trace-diff name the load that copies it as the first difference.
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <variant>

#include "common/cli_runner.hpp"
#include "common/read_file.hpp"
#include "e2e/model_builder.hpp"
#include "npusim/compiler/onnx_io.hpp"
#include "npusim/isa/assembler.hpp"
#include "npusim/isa/program.hpp"

namespace npusim::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::vector<json> lines(const std::string& path) {
  std::istringstream in(read_file(path));
  std::vector<json> out;
  for (std::string l; std::getline(in, l);) out.push_back(json::parse(l));
  return out;
}

const isa::NpuSegment& npu_segment(const isa::Program& p) {
  for (const auto& s : p.segments)
    if (const auto* npu = std::get_if<isa::NpuSegment>(&s)) return *npu;
  throw std::runtime_error("no NPU segment");
}

// Whether a dma.load reads DRAM byte `offset` of base `base`.
bool reads(const isa::Instruction& in, int base, uint64_t offset) {
  using isa::Field;
  if (in.op != isa::Opcode::kDmaLoad || static_cast<int>(in.u(Field::kDramBase)) != base)
    return false;
  for (uint64_t i2 = 0; i2 < in.u(Field::kCnt2); ++i2)
    for (uint64_t i1 = 0; i1 < in.u(Field::kCnt1); ++i1) {
      const uint64_t row =
          in.u(Field::kDramOff) + i2 * in.u(Field::kDStride2) + i1 * in.u(Field::kDStride1);
      if (offset >= row && offset < row + in.u(Field::kLen0)) return true;
    }
  return false;
}

class InstructionTrace : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (fs::temp_directory_path() / ("npusim_trace_" + std::to_string(::getpid()))).string();
    fs::create_directories(dir_);
    compiler::export_onnx(two_conv_model(), dir_ + "/m.onnx");
    const CliResult r = npusim("compile " + dir_ + "/m.onnx -o " + dir_ + "/m.npub");
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  void TearDown() override { fs::remove_all(dir_); }

  // npusim exec PROGRAM with a trace into `trace`.
  void exec(const std::string& program, const std::string& trace) {
    const CliResult r =
        npusim("exec " + program + " --trace-instructions " + trace + " --trace-values");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("trace      " + trace), std::string::npos) << r.output;
  }

  std::string dir_;
};

TEST_F(InstructionTrace, ListsEveryInstructionWithMonotonicCyclesPerEngine) {
  exec(dir_ + "/m.npub", dir_ + "/a.jsonl");
  const auto trace = lines(dir_ + "/a.jsonl");
  const isa::Program program = isa::load_program(dir_ + "/m.npub");
  const isa::NpuSegment& seg = npu_segment(program);
  size_t at = 0, checksums = 0;
  for (int e = 0; e < isa::kNumEngines; ++e) {
    const auto code = isa::decode(seg.streams[0][e]);
    ASSERT_FALSE(code.empty());
    uint64_t last_end = 0;
    for (size_t i = 0; i < code.size(); ++i, ++at) {
      ASSERT_LT(at, trace.size());
      const json& l = trace[at];
      EXPECT_EQ(l["task"], 0);
      EXPECT_EQ(l["slot"], 0);
      EXPECT_EQ(l["pe"], 0);
      EXPECT_EQ(l["engine"], std::string(isa::engine_name(static_cast<isa::Engine>(e))));
      EXPECT_EQ(l["index"], i);
      EXPECT_EQ(l["asm"], isa::disassemble(code[i]));
      const uint64_t start = l["start"], end = l["end"];
      EXPECT_GE(start, last_end) << l.dump();  // one instruction at a time per engine
      EXPECT_GE(end, start) << l.dump();
      last_end = end;
      const bool writes = code[i].op <= isa::Opcode::kVecLutN;  // DMA and compute
      EXPECT_EQ(l.contains("checksum"), writes) << l.dump();
      checksums += l.contains("checksum");
    }
  }
  EXPECT_EQ(at, trace.size()) << "instructions the program does not have";
  EXPECT_GE(checksums, 8u);  // loads, two convolutions, requantisations, stores
}

// Fused: both PEs' streams, slot 1 on the second PE, each engine's cycles in
// order; the file is the same on a re-run.
TEST_F(InstructionTrace, FusedTracesBothPes) {
  const CliResult r = npusim("compile " + dir_ + "/m.onnx --target fused -o " + dir_ + "/f.npub");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  exec(dir_ + "/f.npub", dir_ + "/f1.jsonl");
  exec(dir_ + "/f.npub", dir_ + "/f2.jsonl");
  EXPECT_EQ(read_file(dir_ + "/f1.jsonl"), read_file(dir_ + "/f2.jsonl"));
  const isa::Program program = isa::load_program(dir_ + "/f.npub");
  const isa::NpuSegment& seg = npu_segment(program);
  std::map<std::pair<int, std::string>, size_t> count;
  std::map<std::pair<int, std::string>, uint64_t> last_end;
  for (const json& l : lines(dir_ + "/f1.jsonl")) {
    const std::pair<int, std::string> key{l["slot"], l["engine"]};
    EXPECT_EQ(l["pe"], l["slot"]) << l.dump();  // npu0pe0-1: slot k on PE k
    EXPECT_EQ(l["index"], count[key]++) << l.dump();
    EXPECT_GE(l["start"].get<uint64_t>(), last_end[key]) << l.dump();
    last_end[key] = l["end"];
  }
  for (int slot = 0; slot < 2; ++slot)
    for (int e = 0; e < isa::kNumEngines; ++e)
      EXPECT_EQ((count[{slot, std::string(isa::engine_name(static_cast<isa::Engine>(e)))}]),
                isa::decode(seg.streams[slot][e]).size())
          << "slot " << slot << " engine " << e;
}

TEST_F(InstructionTrace, ARerunIsIdenticalAndACorruptedWeightIsFoundAtItsLoad) {
  exec(dir_ + "/m.npub", dir_ + "/a.jsonl");
  exec(dir_ + "/m.npub", dir_ + "/b.jsonl");
  EXPECT_EQ(read_file(dir_ + "/a.jsonl"), read_file(dir_ + "/b.jsonl"));
  CliResult r = npusim("trace-diff " + dir_ + "/a.jsonl " + dir_ + "/b.jsonl --exit-code --cycles");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("same       every instruction equal"), std::string::npos) << r.output;

  // A weight byte of the second convolution (the last weights in DRAM).
  isa::Program p = isa::load_program(dir_ + "/m.npub");
  isa::NpuSegment* seg = nullptr;
  for (auto& s : p.segments)
    if (auto* npu = std::get_if<isa::NpuSegment>(&s)) seg = npu;
  ASSERT_NE(seg, nullptr);
  ASSERT_FALSE(seg->weights.empty());
  const uint64_t offset = seg->weights.size() - 1;
  seg->weights[offset] ^= 0x55;
  isa::save_program(p, dir_ + "/bad.npub");
  exec(dir_ + "/bad.npub", dir_ + "/c.jsonl");

  // Expected: of the loads that copy that byte, the one that starts first.
  const auto a = lines(dir_ + "/a.jsonl");
  const auto loads = isa::decode(seg->streams[0][0]);
  int64_t expected = -1;
  uint64_t expected_start = 0;
  for (const json& l : a) {
    if (l["engine"] != "load") continue;
    const size_t i = l["index"];
    if (!reads(loads[i], isa::kBaseWeights, offset)) continue;
    if (expected < 0 || l["start"].get<uint64_t>() < expected_start)
      expected = static_cast<int64_t>(i), expected_start = l["start"];
  }
  ASSERT_GE(expected, 0) << "no load reads the weight byte";
  r = npusim("trace-diff " + dir_ + "/a.jsonl " + dir_ + "/c.jsonl --exit-code");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(
      r.output.find("first      task 0 slot 0 load #" + std::to_string(expected) + ": checksum"),
      std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("cycles     every matched instruction at the same cycles"),
            std::string::npos)
      << r.output;
}

// A trace that cannot be written is an error naming the file, not a run
// that exits 0 without it.
TEST_F(InstructionTrace, AnUnwritableTraceIsAnErrorNamingIt) {
  const CliResult r = npusim("exec " + dir_ + "/m.npub --trace-instructions /dev/full");
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("/dev/full: cannot write: No space left on device"), std::string::npos)
      << r.output;
  EXPECT_TRUE(fs::is_character_file("/dev/full"));
}

TEST_F(InstructionTrace, BadUseIsAUsageError) {
  CliResult r = npusim("exec " + dir_ + "/m.npub --trace-values");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--trace-values needs --trace-instructions FILE"), std::string::npos)
      << r.output;
  r = npusim("exec " + dir_ + "/m.npub --timing-only --trace-instructions " + dir_ +
             "/t.jsonl --trace-values");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  r = npusim("trace-diff " + dir_ + "/m.npub " + dir_ + "/m.npub");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find(dir_ + "/m.npub:1: not an instruction trace line"), std::string::npos)
      << r.output;
}

}  // namespace
}  // namespace npusim::testing
