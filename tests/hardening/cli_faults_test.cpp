// Fault injection from the command line (docs/faults.md): bench, run and
// exec with --inject; every request answered once, the counts add up.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "bad_models.hpp"
#include "common/cli_runner.hpp"

namespace npusim::testing {
namespace {

namespace fs = std::filesystem;

void expect_refused(const CliResult& r, const std::vector<std::string>& parts, int code = 1) {
  EXPECT_EQ(r.exit_code, code) << r.output;
  for (const auto& p : parts)
    EXPECT_NE(r.output.find(p), std::string::npos) << p << "\n" << r.output;
}

class CliFaults : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fresh_dir(::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  void TearDown() override { fs::remove_all(dir); }
  std::string at(const std::string& name) const { return dir + "/" + name; }

  // The good model compiled to a program.
  std::string compiled() {
    save_onnx(good_model(), at("good.onnx"));
    const CliResult r = npusim("compile " + at("good.onnx") + " -o " + at("good.npub"));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return at("good.npub");
  }

  std::string dir;
};

// ---- fault injection ----

TEST_F(CliFaults, BenchWithRandomDmaErrorsOnTwoPesAnswersEveryRequestOnce) {
  const std::string prog = compiled();
  const CliResult r = npusim("bench " + prog +
                             " --inject dma-error@random --seed 1 -n 300 -w 8 -d npu0pe0,npu0pe1 "
                             "-o " +
                             at("f.json"));
  ASSERT_EQ(r.exit_code, 0) << "injected failures are expected, not an error: " << r.output;
  const nlohmann::json j = nlohmann::json::parse(slurp(at("f.json")));
  const auto& req = j.at("requests");
  const uint64_t ok = req.at("succeeded"), failed = req.at("failed"), retried = req.at("retried"),
                 resets = req.at("device_resets");
  EXPECT_EQ(ok + failed, 300u);
  EXPECT_GT(failed, 0u);
  EXPECT_EQ(resets, failed + retried);
  EXPECT_EQ(j.at("inject").at("spec"), "dma-error@random");
  EXPECT_NE(
      r.output.find("requests   " + std::to_string(ok) + " succeeded, " + std::to_string(failed) +
                    " failed, 0 retried, 0 recovered; device "
                    "resets " +
                    std::to_string(resets) + " (--inject dma-error@random)"),
      std::string::npos)
      << r.output;
  // The same seed faults the same requests, however they interleave.
  const CliResult again = npusim("bench " + prog +
                                 " --inject dma-error@random --seed 1 -n 300 -w 8 "
                                 "-d npu0pe0,npu0pe1");
  EXPECT_NE(again.output.find(std::to_string(failed) + " failed"), std::string::npos)
      << again.output;
}

TEST_F(CliFaults, BenchRetriesRecoverRequests) {
  const CliResult r =
      npusim("bench " + compiled() +
             " --inject illegal-instruction@random:0.2 --retries 5 -n 100 -o " + at("f.json"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto req = nlohmann::json::parse(slurp(at("f.json"))).at("requests");
  EXPECT_EQ(req.at("failed"), 0u) << r.output;
  EXPECT_GT(req.at("retried"), 0u);
  EXPECT_GT(req.at("recovered"), 0u);
  EXPECT_EQ(req.at("device_resets"), req.at("retried"));
}

TEST_F(CliFaults, RunAndExecReportAnInjectedFaultAndExitNonZero) {
  const std::string prog = compiled();
  expect_refused(npusim("run " + prog + " --inject dma-error@request:0"),
                 {"request 0 on npu0pe0 failed: ", "DMA error at instruction",
                  "of the pe0 load engine (the device was reset; other requests go on)"});
  const CliResult retried = npusim("run " + prog + " --inject dma-error@request:0 --retries 1");
  EXPECT_EQ(retried.exit_code, 0) << retried.output;
  EXPECT_NE(retried.output.find("fault      1 retried after device faults"), std::string::npos)
      << retried.output;
  expect_refused(npusim("exec " + prog + " --inject stuck-engine@request:0"),
                 {"watchdog timeout: pe0", "is stuck"});
  expect_refused(npusim("exec " + prog + " --inject host-link-error@instruction:0"),
                 {"host link error on queue"});
}

}  // namespace
}  // namespace npusim::testing
