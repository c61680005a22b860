// The npusim command line as a user meets it: exit codes, reports, and
// errors that name the file, key, value or field.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "common/model_cache.hpp"
#include "common/read_file.hpp"

namespace {

using npusim::testing::read_file;

struct Result {
  int exit_code;
  std::string output;  // stdout and stderr
};

Result shell(const std::string& cmd) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  std::string out;
  std::array<char, 4096> buf;
  while (size_t n = fread(buf.data(), 1, buf.size(), pipe.get())) out.append(buf.data(), n);
  const int status = pclose(pipe.release());
  return {WEXITSTATUS(status), out};
}

Result npusim(const std::string& args) {
  return shell(std::string(NPUSIM_BINARY) + " " + args + " 2>&1");
}

Result facedetect(const std::string& args) {
  return shell(std::string(NPUSIM_FACEDETECT_BINARY) + " " + args + " 2>&1");
}

std::string program(const std::string& name) {
  return std::string(NPUSIM_SOURCE_DIR) + "/tests/programs/" + name;
}

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / (std::to_string(::getpid()) + "_" + name))
      .string();
}

TEST(Cli, InfoListsThePesAndTheFusedPair) {
  const Result r = npusim("info");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("npu0pe0"), std::string::npos);
  EXPECT_NE(r.output.find("npu0pe1"), std::string::npos);
  EXPECT_NE(r.output.find("fused   npu0pe0-1"), std::string::npos);
  EXPECT_NE(r.output.find("sram_per_pe = 16MiB"), std::string::npos);
}

TEST(Cli, InfoJsonCarriesTheParameters) {
  const Result r = npusim("info --format json --set array=16x16");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("\"array\": \"16x16\""), std::string::npos) << r.output;
}

TEST(Cli, BadParameterKeyIsRefusedNamingIt) {
  const Result r = npusim("info --set sram=1MiB");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("\"sram\""), std::string::npos) << r.output;
}

TEST(Cli, BadParameterValueIsRefusedNamingKeyAndValue) {
  const Result r = npusim("exec " + program("matmul_requant.s") + " --set sram_per_pe=16MB");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("sram_per_pe"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("16MB"), std::string::npos) << r.output;
}

// The same kind of error exits the same way in every subcommand: 2 for a
// command line that is wrong before any work starts, 1 for a failure doing it.
TEST(Cli, ExitStatusesAreConsistent) {
  const std::string prog = program("matmul_requant.s");
  const struct {
    std::string args;
    int status;
  } cases[] = {
      {"run", 2},                                         // missing MODEL
      {"run " + prog + " --frobnicate", 2},               // unknown option
      {"quantize m.onnx --calib random --method kl", 2},  // bad value
      {"bench " + prog + " --workload X", 2},
      {"bench " + prog + " -n 5 --duration 1", 2},  // conflicting options
      {"exec " + prog + " -d gpu0", 2},             // bad device string
      {"info --set sram=1MiB", 2},                  // unknown --set key
      {"compile " + prog + " --target both", 2},
      {"exec /nonexistent/prog.s", 1},  // a missing file: the work failed
      {"quantize /nonexistent/m.onnx --calib random", 1},
  };
  for (const auto& c : cases) EXPECT_EQ(npusim(c.args).exit_code, c.status) << c.args;
}

TEST(Cli, VersionIsPrinted) {
  for (const char* flag : {"--version", "-V"}) {
    const Result r = npusim(flag);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    // The version, the git revision, then the default hardware (docs/python.md, "Installing").
    EXPECT_TRUE(std::regex_search(
        r.output, std::regex("^npusim [0-9]+\\.[0-9]+\\.[0-9]+\ngit revision [0-9a-f]{7,}")))
        << r.output;
    EXPECT_NE(r.output.find("\n  sram_per_pe = 16MiB\n"), std::string::npos) << r.output;
  }
}

// npusim split refuses a bad unit list, a parameter for a unit the list does
// not have, an unknown CPU-unit key and unordered batch sizes (exit 2,
// naming what is wrong) before it reads the model.
TEST(Cli, SplitNamesBadUnitsAndParameters) {
  const struct {
    std::string args, says;
  } cases[] = {
      {"-d npu0pe0,gpu", "\"gpu\""},
      {"-d npu0,cpu,cpu", "names cpu twice"},
      {"-d npu0,npu1 --set npu2.clock=1GHz", "npu2, which the unit list (-d) does not have"},
      {"-d npu0,npu1 --set npu1.clock=fast", "npu1.clock=fast"},
      {"-d npu0,cpu --set cpu.speed=3", "unknown CPU unit parameter cpu.speed"},
      {"-d npu0,cpu --set cpu.cores=0", "cpu.cores"},
      {"-d npu0,cpu --batch-sizes 16,4", "increasing order"},
      {"-d npu0,cpu --batch-sizes 1,x", "\"x\" is not a batch size"},
  };
  for (const auto& c : cases) {
    const Result r = npusim("split /nonexistent/m.onnx " + c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args << "\n" << r.output;
    EXPECT_NE(r.output.find(c.says), std::string::npos) << c.args << "\n" << r.output;
  }
}

// -n and --duration both say when bench stops; -n used to win silently.
TEST(Cli, BenchRefusesBothAQueryCountAndADuration) {
  const Result r = npusim("bench " + program("matmul_requant.s") + " -n 5 --duration 1");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("npusim bench: -n/--queries and --duration both say when to stop; "
                          "give one of them"),
            std::string::npos)
      << r.output;
}

TEST(Cli, UnknownCommandExitsWithUsage) {
  const Result r = npusim("frobnicate");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("unknown command \"frobnicate\""), std::string::npos);
}

TEST(Cli, ExecPrintsCyclesAndCounters) {
  const Result r = npusim("exec " + program("matmul_requant.s"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("run        613 cycles"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("NPU%"), std::string::npos);
}

TEST(Cli, ExecOfAMissingFileNamesIt) {
  const Result r = npusim("exec /nonexistent/prog.s");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("/nonexistent/prog.s"), std::string::npos) << r.output;
}

TEST(Cli, AsmDisasmRoundTripsAndExecRunsTheContainer) {
  const std::string npub = temp_path("matmul.npub"), text = temp_path("matmul.s");
  ASSERT_EQ(npusim("asm " + program("matmul_requant.s") + " -o " + npub).exit_code, 0);
  ASSERT_EQ(npusim("disasm " + npub + " -o " + text).exit_code, 0);
  const std::string npub2 = temp_path("matmul2.npub");
  ASSERT_EQ(npusim("asm " + text + " -o " + npub2).exit_code, 0);
  std::ifstream a(npub, std::ios::binary), b(npub2, std::ios::binary);
  const std::string bytes_a((std::istreambuf_iterator<char>(a)), {}),
      bytes_b((std::istreambuf_iterator<char>(b)), {});
  EXPECT_EQ(bytes_a, bytes_b);
  const Result r = npusim("exec " + npub);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("run        613 cycles"), std::string::npos) << r.output;
}

TEST(Cli, ExecRefusesAContainerCompiledForOtherHardware) {
  const std::string npub = temp_path("matmul_hw.npub");
  ASSERT_EQ(npusim("asm " + program("matmul_requant.s") + " -o " + npub).exit_code, 0);
  const Result r = npusim("exec " + npub + " --set sram_per_pe=8MiB");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("sram_per_pe"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("8MiB"), std::string::npos) << r.output;
}

// A container compiled for other bandwidths, clock, DRAM size and host link
// runs: its code depends only on the program-relevant parameters, and a
// difference in one of those is refused naming it with both values.
TEST(Cli, ContainerRunsWhereOnlyTimingParametersDiffer) {
  const std::string text = temp_path("matmul_slow.s"), npub = temp_path("matmul_slow.npub");
  std::ofstream(text) << ".hw dram_bandwidth=33GB/s\n.hw clock=1GHz\n.hw dram_size=1GiB\n"
                      << ".hw host_link=31.5GB/s\n"
                      << read_file(program("matmul_requant.s"));
  ASSERT_EQ(npusim("asm " + text + " -o " + npub).exit_code, 0);
  Result r = npusim("exec " + npub);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("run        613 cycles"), std::string::npos) << r.output;
  r = npusim("run " + npub + " --set dram_bandwidth=132GB/s");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  r = npusim("run " + npub + " --set num_semaphores=16");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("program compiled for num_semaphores=32 but device has "
                          "num_semaphores=16"),
            std::string::npos)
      << r.output;
  std::filesystem::remove(text);
  std::filesystem::remove(npub);
}

TEST(Cli, ExecOnTheSecondPeGivesTheSameCycles) {
  const Result r = npusim("exec " + program("matmul_requant.s") + " --device npu0pe1");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("run        613 cycles"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("pe1 "), std::string::npos) << r.output;
}

// npusim run and npusim bench on an assembled program (one NPU segment).
class CliRuntime : public ::testing::Test {
 protected:
  void SetUp() override {
    const Result r = npusim("asm " + program("matmul_requant.s") + " -o " + npub);
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  void TearDown() override { std::filesystem::remove(npub); }
  std::string npub = temp_path("matmul.npub");
};

TEST_F(CliRuntime, RunPrintsOutputsLatencyAndWritesNpy) {
  const std::string dir = temp_path("run_out");
  const Result r = npusim("run " + npub + " -d npu0pe1 --output-dir " + dir);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  for (const char* s : {"device     npu0pe1", "latency", "compute", "h2d", "NPU%"})
    EXPECT_NE(r.output.find(s), std::string::npos) << s << "\n" << r.output;
  EXPECT_FALSE(std::filesystem::is_empty(dir));
  std::filesystem::remove_all(dir);
}

TEST_F(CliRuntime, RunNamesTheInputsWhenOneIsUnknown) {
  const Result r = npusim("run " + npub + " -i images=photo.png");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("no input named \"images\" (inputs: "), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("latency"), std::string::npos) << "refused before running";
}

TEST_F(CliRuntime, RunRefusesABadDeviceNamingIt) {
  const Result r = npusim("run " + npub + " -d npu3pe0");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("bad device \"npu3pe0\""), std::string::npos) << r.output;
}

TEST_F(CliRuntime, BenchWritesJsonWithLatencyPercentilesAndUtilisation) {
  const std::string json = temp_path("bench.json"), trace = temp_path("trace.json");
  const Result r = npusim("bench " + npub + " -n 40 -w 4 -o " + json + " -T " + trace);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  for (const char* s : {"QPS", "p99.9", "NPU%", "Comp%", "I/O%"})
    EXPECT_NE(r.output.find(s), std::string::npos) << s << "\n" << r.output;
  std::ifstream in(json);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const char* s : {"\"qps\"", "\"p50\"", "\"p99.9\"", "\"queries\": 40", "\"fnv1a64\"",
                        "\"npusim_version\"", "\"sram_per_pe\": \"16MiB\"", "\"mode\": \"single\""})
    EXPECT_NE(text.find(s), std::string::npos) << s << "\n" << text;
  EXPECT_TRUE(std::filesystem::file_size(trace) > 100);
  std::filesystem::remove(json);
  std::filesystem::remove(trace);
}

// The simulator's own speed over the 9 queries after the first: host time per
// query, and the simulated cycles of that stretch per host second.
TEST_F(CliRuntime, BenchReportsTheSimulatorsSpeed) {
  const std::string json = temp_path("speed.json");
  const Result r = npusim("bench " + npub + " -n 10 -w 2 -o " + json);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("ms of host time per query (CPU "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(" M simulated cycles per host second"), std::string::npos) << r.output;
  std::ifstream in(json);
  const nlohmann::json j = nlohmann::json::parse(in);
  const auto& sim = j.at("simulator");
  const double ms = sim.at("host_ms_per_query"), cycles = sim.at("simulated_cycles");
  EXPECT_GT(ms, 0);
  EXPECT_GT(double(sim.at("cpu_ms_per_query")), 0);
  EXPECT_GT(cycles, 0);
  // Within the run's span: 2 GHz cycles of the simulated milliseconds.
  EXPECT_LE(cycles, double(j.at("total_run_time_ms")) * 2e6);
  EXPECT_NEAR(double(sim.at("simulated_cycles_per_host_second")), cycles / (9 * ms / 1e3),
              1e-6 * cycles / (9 * ms / 1e3));
  std::filesystem::remove(json);
}

TEST_F(CliRuntime, ProfileReportsLoadAndInferenceStages) {
  const Result r = npusim("profile " + npub + " -r 3 --loads 2");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  // AI Hub's stages; host memory as (min, max) over the runs of a stage.
  for (const char* s :
       {"first load ", "(wall, 1 run)  host peak ", "warm load ", "(wall, min of 2)  host peak ",
        "inference ", "(simulated, min of 3)  host peak ", ", increase ", "device DRAM 0.1 MiB",
        "device SRAM 0.0 MiB per PE (high-water mark)"})
    EXPECT_NE(r.output.find(s), std::string::npos) << s << "\n" << r.output;
  EXPECT_EQ(r.output.find("compile "), std::string::npos) << "a .npub needs no compile stage";
}

TEST_F(CliRuntime, ProfileSaysWhenAProgramHasNoLayerTable) {
  const Result r = npusim("profile " + npub + " -r 1");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("no layer table: the program carries none"), std::string::npos)
      << r.output;
}

TEST_F(CliRuntime, ProfileRefusesAnUnwritableOutputBeforeRunning) {
  const Result r = npusim("profile " + npub + " --html /no/such/dir/report.html");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("cannot write /no/such/dir/report.html: directory /no/such/dir does "
                          "not exist"),
            std::string::npos)
      << r.output;
  EXPECT_EQ(r.output.find("inference"), std::string::npos) << "refused before running";
}

TEST_F(CliRuntime, BenchRefusesBatchesItCannotRun) {
  Result r = npusim("bench " + npub + " -b 4");  // a .npub runs the batch it was compiled for
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("matmul.npub was compiled for batch 1, not 4: recompile it with "
                          "--batch 4"),
            std::string::npos)
      << r.output;
  for (const char* bad : {"0", "257", "-2"}) {
    r = npusim("bench " + npub + " --batch=" + bad);
    EXPECT_EQ(r.exit_code, 2) << bad;
    EXPECT_NE(r.output.find("-b/--batch must be between 1 and 256 (images per request; "
                            "docs/limits.md), got " +
                            std::string(bad)),
              std::string::npos)
        << r.output;
  }
  r = npusim("compile m.onnx --batch=0");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("-b/--batch must be between 1 and 256"), std::string::npos) << r.output;
}

TEST_F(CliRuntime, DevicesTakeTheSdkAliases) {
  Result r = npusim("run " + npub + " -d npu:0:1");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("device     npu0pe1"), std::string::npos) << r.output;
  r = npusim("run " + npub + " -d 'warboy(1)*1'");
  EXPECT_NE(r.output.find("device     npu0pe0"), std::string::npos) << r.output;
  r = npusim("run " + npub + " -d 'warboy(1)*3'");
  EXPECT_EQ(r.exit_code, 2) << "a bad device string is a usage error\n" << r.output;
  EXPECT_NE(r.output.find("bad device \"warboy(1)*3\" asks for 3 single PEs; the simulated "
                          "device has 2 (npu0pe0, npu0pe1)"),
            std::string::npos)
      << r.output;
  r = npusim("exec " + npub + " -d npu:0:1");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("device     npu0pe1"), std::string::npos) << r.output;
}

// The number after `label`, looking from the first `from` on (NaN if absent).
double number_after(const std::string& text, const std::string& label,
                    const std::string& from = "") {
  const size_t at = text.find(label, text.find(from));
  if (at == std::string::npos || text.find(from) == std::string::npos) return std::nan("");
  return std::stod(text.substr(at + label.size()));
}

TEST_F(CliRuntime, BenchComparesTheRunnersAgainstBoundsTheyMeet) {
  const Result r = npusim("bench " + npub + " --compare-runners -n 6 -w 3");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* s : {"6 frames per runner",
                        "runner        total ms       fps    ms/frame  "
                        "latency ms    NPU%",
                        "  sync ", "  async x3 ", "  queue x3 ", "npu0pe0 sync: 6/6 frames",
                        "npu0pe0 queue x3: 6/6 frames"})
    EXPECT_NE(r.output.find(s), std::string::npos) << s << "\n" << r.output;
  // The bounds the time model predicts hold for what the runners measured.
  const double sync_bound = number_after(r.output, "sync  = frames x (host + device) = ");
  const double async_bound = number_after(r.output, ") = ", "        = max(");
  const double sync = number_after(r.output, "\n  sync        "),
               async = number_after(r.output, "\n  async x3    "),
               queue = number_after(r.output, "\n  queue x3    ");
  EXPECT_NEAR(sync, sync_bound, 0.1 + 1e-3 * sync_bound) << r.output;
  EXPECT_GE(async, async_bound - 0.05) << r.output;
  EXPECT_GE(queue, async_bound - 0.05) << r.output;
  EXPECT_LT(async, sync) << r.output;

  const Result bad = npusim("bench " + npub + " --compare-runners -o x.json");
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// npusim profile on a real model: BlazeFace quantised (random calibration
// keeps it quick), fused. The per-layer table, CSV, JSON, trace and HTML
// report agree with each other, and the report renders in headless Chromium
// with one bar per layer and one row per trace lane.
TEST(CliProfile, BlazeFaceLayerTableCsvTraceAndHtmlReportAgree) {
  const std::string fp32 = npusim::testing::cached_model_path("blazeface.onnx");
  ASSERT_TRUE(npusim::testing::file_present(fp32, "scripts/fetch-models.sh --no-yolo"));
  const std::string model = temp_path("bf.int8.onnx"), csv = temp_path("bf.csv"),
                    json = temp_path("bf.json"), trace = temp_path("bf.trace.json"),
                    html = temp_path("bf.html");
  Result r = npusim("quantize " + fp32 + " -o " + model + " --calib random --calib-count 2");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string cache = temp_path("profile_cache");
  r = shell("NPUSIM_CACHE=" + cache + " " + NPUSIM_BINARY + " profile " + model +
            " -d npu0pe0-1 -r 2 --loads 2 --csv " + csv + " -o " + json + " -T " + trace +
            " --html " + html + " 2>&1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // Only the compile stage compiles: the loads build their model from its
  // program (a warm load once compiled again, through a cache the compile
  // stage never wrote, and came out slower than the first).
  EXPECT_FALSE(std::filesystem::exists(cache + "/compiled")) << "a load compiled the model";
  for (const char* s : {"layers of request", "QConv", "NPU", "CPU", "npu0pe1    NPU%"})
    EXPECT_NE(r.output.find(s), std::string::npos) << s << "\n" << r.output;

  const nlohmann::json profile = nlohmann::json::parse(read_file(json));
  std::vector<std::string> stage_names;
  for (const auto& stage : profile["stages"]) {
    stage_names.push_back(stage["name"]);
    const auto& peak = stage["host_peak_mib_range"];
    EXPECT_LE(peak[0].get<double>(), peak[1].get<double>()) << stage.dump();
  }
  EXPECT_EQ(stage_names,
            (std::vector<std::string>{"compile", "first load", "warm load", "inference"}));
  EXPECT_EQ(profile["stages"][2]["runs"], 2);
  EXPECT_EQ(profile["stages"][3]["runs"], 2);
  const auto& layers = profile["layers"];
  ASSERT_GT(layers.size(), 20u);
  EXPECT_EQ(count(read_file(csv), "\n"), layers.size() + 1) << "a header and one row per layer";
  std::set<std::string> npu_names;
  for (const auto& l : layers) {
    if (l["unit"] == "NPU") {
      EXPECT_GT(l["cycles"].get<uint64_t>(), 0u) << l.dump();
      npu_names.insert(l["name"].get<std::string>());
    } else {
      EXPECT_FALSE(l["reason"].get<std::string>().empty()) << l.dump();
    }
  }
  // Each PE's compute lane has events named by the layers, from both PEs.
  const nlohmann::json events = nlohmann::json::parse(read_file(trace))["traceEvents"];
  std::set<std::string> lanes, traced_names;
  std::set<int> compute_pids;
  for (const auto& e : events) {
    if (e["ph"] == "M" && e["name"] == "thread_name")
      lanes.insert(std::to_string(e["pid"].get<int>()) + ":" + std::to_string(e["tid"].get<int>()));
    if (e["ph"] == "X" && e["cat"] == "compute") {
      traced_names.insert(e["name"].get<std::string>());
      compute_pids.insert(e["pid"].get<int>());
    }
  }
  EXPECT_EQ(traced_names, npu_names);
  EXPECT_EQ(compute_pids.size(), 2u) << "npu0pe0 and npu0pe1";

  // The report, rendered: one bar per layer, one timeline row per lane.
  ASSERT_TRUE(std::filesystem::exists("/usr/bin/chromium")) << "run scripts/install-deps.sh";
  const Result dom = [&] {
    const std::string cmd =
        "timeout 120 /usr/bin/chromium --headless --no-sandbox --disable-gpu "
        "--user-data-dir=" +
        temp_path("chromium") + " --dump-dom file://" + html + " 2>/dev/null";
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
    std::string out;
    std::array<char, 4096> buf;
    while (size_t n = fread(buf.data(), 1, buf.size(), pipe.get())) out.append(buf.data(), n);
    return Result{WEXITSTATUS(pclose(pipe.release())), out};
  }();
  ASSERT_NE(dom.output.find("data-rendered=\"ok\""), std::string::npos)
      << dom.output.substr(0, 2000);
  EXPECT_EQ(count(dom.output, "class=\"layer-bar\""), layers.size());
  EXPECT_EQ(count(dom.output, "class=\"lane-row\""), lanes.size());
  for (const auto& f : {model, csv, json, trace, html}) std::filesystem::remove(f);
  std::filesystem::remove_all(temp_path("chromium"));
  std::filesystem::remove_all(cache);
}

// BlazeFace quantised in a folder of its own (random calibration keeps it
// quick), with the compile cache there too.
class CliBlazeFace : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string fp32 = npusim::testing::cached_model_path("blazeface.onnx");
    ASSERT_TRUE(npusim::testing::file_present(fp32, "scripts/fetch-models.sh --no-yolo"));
    std::filesystem::create_directories(dir);
    std::filesystem::copy_file(fp32, dir + "/bf.onnx");
  }
  void TearDown() override { std::filesystem::remove_all(dir); }
  Result run(const std::string& args) {
    return shell("NPUSIM_CACHE=" + dir + "/cache " + NPUSIM_BINARY + " " + args + " 2>&1");
  }
  std::string dir = temp_path("bf");
  std::string photo = npusim::testing::cached_image_path("astronaut.png");
};

// furiosa-bench's -b: each query a batch of N images on two PEs, QPS in
// batches and the throughput in images.
TEST_F(CliBlazeFace, BenchRunsBatchesOnTwoPes) {
  ASSERT_EQ(run("quantize " + dir + "/bf.onnx --calib random --calib-count 2 -q").exit_code, 0);
  const std::string json = dir + "/b.json";
  Result r = run("bench " + dir + "/bf.int8.onnx -b 8 -w 8 -d npu0pe0,npu0pe1 -n 4 -o " + json);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("batch      8 images per query: "), std::string::npos) << r.output;
  std::ifstream in(json);
  const nlohmann::json j = nlohmann::json::parse(in);
  EXPECT_EQ(j.at("batch_size"), 8);
  EXPECT_EQ(j.at("queries"), 4);
  EXPECT_DOUBLE_EQ(double(j.at("inferences_per_second")), 8 * double(j.at("qps")));
  r = run("compile " + dir + "/bf.int8.onnx -b 2 -o " + dir + "/b2.npub");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("KiB per batch of 2 ("), std::string::npos) << r.output;
  r = run("run " + dir + "/b2.npub -b 2");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("float32 2x512x1"), std::string::npos) << r.output;
}

TEST_F(CliBlazeFace, QuantizeAndCompileWriteBesideTheModelWithoutDashO) {
  Result r = run("quantize " + dir + "/bf.onnx --calib random --calib-count 2 -q");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(std::filesystem::exists(dir + "/bf.int8.onnx"));
  for (const char* s :
       {"method     percentile-asym (99.99 %), 2 calibration input(s)\n",
        "random: uniform pixels 0..255 through --scale/--mean/--std, values in [0, 1]",
        "accuracy on the 2 calibration input(s): QDQ vs FP32 (reference executor)\n"
        "(inputs calibration saw: --eval SPEC or --holdout N measure on unseen data)\n"})
    EXPECT_NE(r.output.find(s), std::string::npos) << s << "\n" << r.output;
  r = run("compile " + dir + "/bf.int8.onnx");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("wrote      " + dir + "/bf.int8.npub"), std::string::npos) << r.output;
  EXPECT_TRUE(std::filesystem::exists(dir + "/bf.int8.npub"));
}

TEST_F(CliBlazeFace, HoldoutAndTheRandomRangeAreReported) {
  const Result r = run("quantize " + dir + "/bf.onnx --calib random --calib-count 5 --holdout 2 " +
                       "--scale 2/255 --mean 1 -q");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* s : {"3 calibration input(s) (2 of 5 held back by --holdout for the report)",
                        "values in [-1, 1]", "accuracy on 2 held-back input(s)"})
    EXPECT_NE(r.output.find(s), std::string::npos) << s << "\n" << r.output;
}

TEST_F(CliBlazeFace, CutOfTheQuantisedModelWarnsThatTheConvLeavesTheNpu) {
  ASSERT_EQ(run("quantize " + dir + "/bf.onnx --calib random --calib-count 2 -q").exit_code, 0);
  const std::string conv = "StatefulPartitionedCall/functional_1/conv2d_18/BiasAdd:0";
  const Result r = run("compile " + dir + "/bf.int8.onnx --outputs " + conv);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("warning: --outputs " + conv + " is the float output of Conv"),
            std::string::npos)
      << r.output;
  EXPECT_NE(
      r.output.find("Cut the FP32 model instead: npusim quantize FP32.onnx --outputs " + conv),
      std::string::npos)
      << r.output;
}

// After --input-type NAME=uint8 an image feeds the raw pixels; with the
// default preprocessing (pixels / 255) and the same ranges, the uint8 model
// gives the float model's outputs bit for bit.
TEST_F(CliBlazeFace, Uint8InputTakesTheImageAsRawPixels) {
  Result r = run("quantize " + dir + "/bf.onnx -o " + dir + "/f.onnx --calib random " +
                 "--calib-count 2 -q --save-ranges " + dir + "/r.json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = run("quantize " + dir + "/bf.onnx -o " + dir + "/u.onnx -q --load-ranges " + dir +
          "/r.json --input-type input:0=uint8");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("input      input:0 takes uint8 codes: real = 0.00392157 * (q - 0)\n"
                          "           with this image preprocessing the codes are the raw pixels: "
                          "npusim run -i IMAGE feeds them"),
            std::string::npos)
      << r.output;
  r = run("run " + dir + "/f.onnx -i " + photo + " --output-dir " + dir + "/f_out");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = run("run " + dir + "/u.onnx -i " + photo + " --output-dir " + dir + "/u_out");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  size_t compared = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir + "/f_out")) {
    EXPECT_EQ(read_file(e.path().string()),
              read_file(dir + "/u_out/" + e.path().filename().string()))
        << e.path().filename();
    ++compared;
  }
  EXPECT_EQ(compared, 5u);  // four outputs and index.json
  r = run("run " + dir + "/u.onnx -i " + photo + " --scale 2/255");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("note: input \"input:0\" takes uint8 pixels (the quantiser folded the "
                          "preprocessing into its scale): --scale/--mean/--std do not apply"),
            std::string::npos)
      << r.output;
}

TEST_F(CliBlazeFace, FacedetectReportsTheBestScoreAndExits3WithoutAFace) {
  const std::string images = npusim::testing::cache_dir() + "/images";
  ASSERT_EQ(run("quantize " + dir + "/bf.onnx --calib " + images + " -q --scale 2/255 --mean 1")
                .exit_code,
            0);
  ASSERT_EQ(run("compile " + dir + "/bf.int8.onnx").exit_code, 0);
  const std::string base =
      "--model " + dir + "/bf.int8.npub --image " + photo + " -o " + dir + "/faces.png";
  Result r = facedetect(base);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("faces      1 found on the NPU (score >= 0.5)\n  npu      score 0.9"),
            std::string::npos)
      << r.output;
  r = facedetect(base + " --threshold 0.999");
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("faces      0 found on the NPU (score >= 0.999)\n  best     score 0."),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("(below the threshold)"), std::string::npos) << r.output;
}

TEST_F(CliBlazeFace, FacedetectRefusesAModelOfAnotherInputSize) {
  const std::string npub = dir + "/mm.npub";
  ASSERT_EQ(npusim("asm " + program("matmul_requant.s") + " -o " + npub).exit_code, 0);
  const Result r = facedetect("--model " + npub + " --image " + photo + " -o " + dir + "/f.png");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("; the BlazeFace front decode needs a 128x128 RGB image (1x128x128x3 "
                          "or 1x3x128x128)"),
            std::string::npos)
      << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir + "/f.png"));
}

TEST(CliFacedetect, UsageErrorsExit2AndHelpListsTheExitStatus) {
  Result r = facedetect("--model m.npub");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--image"), std::string::npos) << r.output;
  r = facedetect("--model m.npub --image p.png --threshold 2");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  r = facedetect("--model m.npub --image p.png --set sram=1MiB");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("unknown hardware parameter \"sram\""), std::string::npos) << r.output;
  r = facedetect("--help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.output.find("exit status: 0 faces found, 3 no face (the report gives the best "
                          "score), 1 error, 2 usage error"),
            std::string::npos)
      << r.output;
}

}  // namespace
