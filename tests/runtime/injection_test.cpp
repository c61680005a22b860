// Faults injected through RunnerOptions::inject (docs/faults.md): every
// request gets exactly one result or one error, the device is reset after
// each fault and goes on, retries recover requests, and the counts add up.
#include <gtest/gtest.h>

#include <functional>
#include <set>

#include "runtime_fixture.hpp"

namespace npusim::testing {
namespace {

using runtime::FaultInjection;

struct Outcome {
  int succeeded = 0, failed = 0;
  std::set<uint64_t> failed_ids;  // request numbers (from the error message)
};

// Submits `n` requests with distinct inputs; checks each success bit-exact.
Outcome run_requests(runtime::AsyncRunner& runner, int n,
                     const std::function<std::vector<Tensor>(const Tensor&)>& expected) {
  std::vector<Tensor> inputs;
  std::vector<runtime::Future> futures;
  for (int i = 0; i < n; ++i) {
    inputs.push_back(random_input({1, 8, 16, 16}, 700 + i));
    futures.push_back(runner.run_async({inputs.back()}));
  }
  Outcome o;
  for (int i = 0; i < n; ++i) {
    try {
      const runtime::Result r = futures[i].get();
      EXPECT_EQ(r.outputs.at(0).raw(), expected(inputs[i])[0].raw()) << "request " << i;
      ++o.succeeded;
    } catch (const runtime::RuntimeError& e) {
      EXPECT_EQ(e.kind(), runtime::RuntimeErrorKind::kDevice) << e.what();
      EXPECT_NE(std::string(e.what()).find("the device was reset"), std::string::npos) << e.what();
      ++o.failed;
      o.failed_ids.insert(i);
    }
  }
  return o;
}

TEST_F(RuntimeTest, RandomDmaErrorsOnTwoPesEveryRequestAnsweredOnceAndCountsAddUp) {
  runtime::RunnerOptions o = options("npu0pe0,npu0pe1", 8);
  o.inject = runtime::parse_fault_injection("dma-error@random:0.1", 1);
  runtime::AsyncRunner runner(compiled(), o);
  const Outcome out = run_requests(runner, 120, [this](const Tensor& x) { return expected(x); });
  const runtime::SessionStats s = runner.stats();
  EXPECT_EQ(out.succeeded + out.failed, 120);
  EXPECT_EQ(s.requests, 120u);
  EXPECT_EQ(s.failed, uint64_t(out.failed));
  EXPECT_GT(out.failed, 0) << "p = 0.1 over 120 requests injected nothing";
  EXPECT_EQ(s.device_resets, s.failed + s.retried);  // one reset per fault
  EXPECT_EQ(s.retried, 0u);
  // The device recovered: a request after the storm runs correctly.
  const Tensor x = random_input({1, 8, 16, 16}, 999);
  EXPECT_EQ(runner.run_async({x}).get().outputs[0].raw(), expected(x)[0].raw());
}

TEST_F(RuntimeTest, RetriesRecoverRequestsAndAreCounted) {
  runtime::RunnerOptions o = options("npu0pe0,npu0pe1", 8);
  o.inject = runtime::parse_fault_injection("dma-error@random:0.1", 2);
  o.retries = 3;
  runtime::AsyncRunner runner(compiled(), o);
  const Outcome out = run_requests(runner, 80, [this](const Tensor& x) { return expected(x); });
  const runtime::SessionStats s = runner.stats();
  EXPECT_EQ(out.succeeded + out.failed, 80);
  EXPECT_GT(s.retried, 0u);
  EXPECT_GT(s.recovered, 0u);
  EXPECT_LE(s.recovered, s.retried);
  EXPECT_EQ(s.device_resets, s.failed + s.retried);
}

TEST_F(RuntimeTest, RequestNFaultsExactlyThatRequest) {
  for (const char* kind :
       {"dma-error", "illegal-instruction", "watchdog", "stuck-engine", "host-link-error"}) {
    runtime::RunnerOptions o = options("npu0pe0", 4);
    o.inject = runtime::parse_fault_injection(std::string(kind) + "@request:3");
    runtime::AsyncRunner runner(compiled(), o);
    const Outcome out = run_requests(runner, 8, [this](const Tensor& x) { return expected(x); });
    EXPECT_EQ(out.failed_ids, std::set<uint64_t>{3}) << kind;
    EXPECT_EQ(runner.stats().device_resets, 1u) << kind;
  }
}

TEST_F(RuntimeTest, RequestNWithARetrySucceeds) {
  runtime::RunnerOptions o = options("npu0pe0");
  o.inject = runtime::parse_fault_injection("stuck-engine@request:0");
  o.retries = 1;
  runtime::Runner runner(compiled(), o);
  const Tensor x = random_input({1, 8, 16, 16}, 42);
  EXPECT_EQ(runner.run({x})[0].raw(), expected(x)[0].raw());
  const runtime::SessionStats s = runner.stats();
  EXPECT_EQ(s.retried, 1u);
  EXPECT_EQ(s.recovered, 1u);
  EXPECT_EQ(s.failed, 0u);
}

TEST_F(RuntimeTest, InstructionNFiresOnceOnWhicheverRequestRunsIt) {
  runtime::RunnerOptions o = options("npu0pe0", 2);
  o.inject = runtime::parse_fault_injection("illegal-instruction@instruction:50");
  runtime::AsyncRunner runner(compiled(), o);
  const Outcome out = run_requests(runner, 6, [this](const Tensor& x) { return expected(x); });
  EXPECT_EQ(out.failed, 1);
  EXPECT_EQ(runner.stats().device_resets, 1u);
}

TEST(FaultInjectionSpec, ParsesAndPrintsEveryForm) {
  EXPECT_EQ(runtime::to_string(runtime::parse_fault_injection("dma-error@random")),
            "dma-error@random:0.05");
  EXPECT_EQ(runtime::to_string(runtime::parse_fault_injection("watchdog@request:7")),
            "watchdog@request:7");
  EXPECT_EQ(runtime::to_string(runtime::parse_fault_injection("host-link-error@instruction:0")),
            "host-link-error@instruction:0");
  for (const char* bad : {"dma-error", "dma-error@", "dma-error@request", "dma-error@request:x",
                          "dma-error@random:0", "dma-error@random:2", "nope@random"})
    EXPECT_THROW(runtime::parse_fault_injection(bad), runtime::RuntimeError) << bad;
}

}  // namespace
}  // namespace npusim::testing
