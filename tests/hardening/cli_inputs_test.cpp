// Issue 11, bad input files and options through the npusim command line:
// each is refused with a message naming the file, option or field and the
// reason, and a non-zero exit; nothing crashes, hangs or is accepted silently.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "common/cli_runner.hpp"
#include "common/program_builder.hpp"
#include "npusim/isa/program.hpp"

namespace npusim::testing {
namespace {

namespace fs = std::filesystem;

std::string program(const std::string& name) {
  return std::string(NPUSIM_SOURCE_DIR) + "/tests/programs/" + name;
}

void expect_refused(const CliResult& r, const std::vector<std::string>& parts, int code = 1) {
  EXPECT_EQ(r.exit_code, code) << r.output;
  for (const auto& p : parts)
    EXPECT_NE(r.output.find(p), std::string::npos) << p << "\n" << r.output;
}

class CliInputs : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fresh_dir(::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  void TearDown() override { fs::remove_all(dir); }
  std::string at(const std::string& name) const { return dir + "/" + name; }

  // A copy program whose tensor table (not its I/O table) places input "x" by `edit`.
  std::string program_with_bad_tensor(void (*edit)(isa::TensorInfo&)) {
    ProgramBuilder b;
    b.input("x", {1024}, 0).output("y", {1024}, 1024);
    b.emit(isa::Engine::kLoad, isa::make(isa::Opcode::kIrq, {{isa::Field::kCode, 1}}));
    isa::Program p = b.build();
    edit(p.tensors[0]);
    const std::string path = at("bad.npub");
    isa::save_program(p, path);
    return path;
  }

  std::string dir;
};

// ---- memory safety ----

TEST_F(CliInputs, ExecRefusesATensorPlacedPastTheIoArea) {
  const std::string bad =
      program_with_bad_tensor([](isa::TensorInfo& t) { t.io_offset = 1 << 20; });
  for (const char* extra : {"", " --no-verify"})
    expect_refused(npusim("exec " + bad + extra), {"tensor 'x'", "io_bytes", "2048"});
  expect_refused(npusim("run " + bad), {"tensor 'x'", "2048"});
}

TEST_F(CliInputs, ExecRefusesATensorShapePastTheIoArea) {
  const std::string bad = program_with_bad_tensor([](isa::TensorInfo& t) { t.shape = {1 << 20}; });
  for (const char* extra : {"", " --no-verify"})
    expect_refused(npusim("exec " + bad + extra), {"tensor 'x'", "io_bytes", "2048"});
}

// ---- files that are not files ----

TEST_F(CliInputs, DirectoriesAreRefusedNamingThem) {
  expect_refused(npusim("asm " + dir + " -o " + at("out.npub")),
                 {dir + ": is a directory, expected an assembly text file"});
  EXPECT_FALSE(fs::exists(at("out.npub"))) << "no program may be written";
  expect_refused(npusim("info --hw " + dir),
                 {dir + ": is a directory, expected a hardware parameter file"});
  expect_refused(npusim("exec " + dir + "/x.npub"), {dir + "/x.npub: cannot open: No such file"});
  fs::create_directories(at("d.npub"));
  expect_refused(npusim("exec " + at("d.npub")), {at("d.npub") + ": is a directory"});
  expect_refused(npusim("compile " + dir + " -o " + at("m.npub")), {dir + ": is a directory"});
}

TEST_F(CliInputs, EndlessFilesAreRefusedWithoutReadingThem) {
  expect_refused(npusim("info --hw /dev/zero"),
                 {"/dev/zero: is a character device, expected a hardware parameter file"});
  expect_refused(npusim("exec /dev/zero"), {"/dev/zero: is a character device"});
  expect_refused(npusim("disasm /dev/zero"), {"/dev/zero: is a character device"});
}

TEST_F(CliInputs, OversizedHardwareFileIsRefusedBeforeReading) {
  write_text(at("big.hw"), "array = " + std::string(2 << 20, '6') + "\n");
  expect_refused(npusim("info --hw " + at("big.hw")),
                 {at("big.hw") + ": larger than the 1 MiB allowed for a hardware parameter file"});
}

TEST_F(CliInputs, AHugeValueIsNotEchoedWhole) {
  const std::string value(100'000, '7');
  const CliResult r = npusim("info --set sram_per_pe=" + value);
  expect_refused(r, {"sram_per_pe", "(100000 characters)"}, 2);
  EXPECT_LT(r.output.size(), 2000u) << "the message repeats the value";
  write_text(at("v.hw"), "clock = " + std::string(500'000, '1') + "x\n");
  const CliResult f = npusim("info --hw " + at("v.hw"));
  expect_refused(f, {at("v.hw") + ":1: ", "(500001 characters)"});
  EXPECT_LT(f.output.size(), 2000u);
}

TEST_F(CliInputs, WatchdogCyclesAcceptsTheDocumentedMaximum) {
  EXPECT_EQ(npusim("info --set watchdog_cycles=1000000000000000").exit_code, 0);
  expect_refused(npusim("info --set watchdog_cycles=1000000000000001"),
                 {"between 1000 and 1000000000000000"}, 2);
  // The maximum at the slowest clock is past 2^64 ps: a program still runs.
  const CliResult slow = npusim("exec " + program("matmul_requant.s") +
                                " --set watchdog_cycles=1000000000000000 --set clock=1MHz");
  EXPECT_EQ(slow.exit_code, 0) << slow.output;
}

// ---- bench options ----

TEST_F(CliInputs, BenchRefusesCountsOutsideTheirRange) {
  const std::string m = at("absent.npub ");  // option errors come before the model is read
  expect_refused(npusim("bench " + m + "-n -1"), {"-n/--queries must be between 1 and"}, 2);
  expect_refused(npusim("bench " + m + "-n 0"), {"-n/--queries must be between 1 and", "got 0"}, 2);
  expect_refused(npusim("bench " + m + "-w 0"), {"-w/--workers must be between 1 and 1024"}, 2);
  expect_refused(npusim("bench " + m + "-w 1000000"), {"-w/--workers must be between 1 and 1024"},
                 2);
  expect_refused(npusim("bench " + m + "--duration -1"), {"--duration must be more than 0"}, 2);
  expect_refused(npusim("bench " + m + "--duration 0"), {"--duration must be more than 0"}, 2);
  expect_refused(npusim("bench " + m + "--duration nan"), {"--duration must be more than 0"}, 2);
  expect_refused(npusim("bench " + m + "-n 5 --duration 1"),
                 {"-n/--queries and --duration both say when to stop; give one of them"}, 2);
  expect_refused(npusim("bench " + m + "--inject dma-error@sometimes"),
                 {"--inject dma-error@sometimes: unknown WHEN"}, 2);
  expect_refused(npusim("bench " + m + "--inject melt@random"), {"unknown kind \"melt\""}, 2);
}

TEST_F(CliInputs, BenchRefusesAnUnwritableOutputBeforeRunning) {
  for (const char* flag : {"-o", "-T"}) {
    const std::string out = dir + "/no/such/dir/out.json";
    expect_refused(npusim("bench " + program("matmul_requant.s") + " " + flag + " " + out),
                   {out + ": cannot write: cannot create a file in " + dir + "/no/such/dir"});
  }
}

}  // namespace
}  // namespace npusim::testing
