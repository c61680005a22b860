// The npusim command line as a user meets it: exit codes, reports, and
// errors that name the file, key, value or field.
#include <gtest/gtest.h>

#include <array>
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

Result npusim(const std::string& args) {
  const std::string cmd = std::string(NPUSIM_BINARY) + " " + args + " 2>&1";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  std::string out;
  std::array<char, 4096> buf;
  while (size_t n = fread(buf.data(), 1, buf.size(), pipe.get())) out.append(buf.data(), n);
  const int status = pclose(pipe.release());
  return {WEXITSTATUS(status), out};
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

TEST_F(CliRuntime, ProfileReportsLoadAndInferenceStages) {
  const Result r = npusim("profile " + npub + " -r 3");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  for (const char* s : {"first load", "warm load", "inference", "(simulated, min of 3)",
                        "device DRAM", "device SRAM 0 - ", " MiB - "})
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
  const Result r = npusim("bench " + npub + " -b 4");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("only batch 1"), std::string::npos) << r.output;
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
  r = npusim("profile " + model + " -d npu0pe0-1 -r 2 --csv " + csv + " -o " + json + " -T " +
             trace + " --html " + html);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* s : {"layers of request", "QConv", "NPU", "CPU", "npu0pe1    NPU%"})
    EXPECT_NE(r.output.find(s), std::string::npos) << s << "\n" << r.output;

  const nlohmann::json profile = nlohmann::json::parse(read_file(json));
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
}

}  // namespace
