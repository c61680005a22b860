// A device fault in the middle of a run fails only the request it hit; the
// runtime resets the device, re-sends the other requests' work, and later
// requests succeed.
#include <gtest/gtest.h>

#include "npusim/isa/regmap.hpp"
#include "runtime_fixture.hpp"

namespace npusim::testing {
namespace {

TEST_F(RuntimeTest, AFaultFailsOnlyTheAffectedRequestAndTheRuntimeRecovers) {
  runtime::AsyncRunner runner(compiled(), options("npu0pe0", 4));
  std::vector<Tensor> inputs;
  std::vector<runtime::Future> futures;
  for (uint32_t i = 0; i < 10; ++i) {
    inputs.push_back(random_input({1, 8, 16, 16}, 400 + i));
    futures.push_back(runner.run_async({inputs.back()}));
    if (i == 3)  // with requests in flight: the next RUN command faults
      transport->write32(isa::reg::kErrorInject,
                         uint32_t(isa::reg::ErrorCode::kIllegalInstruction));
  }
  int failed = 0;
  for (size_t i = 0; i < futures.size(); ++i) {
    try {
      EXPECT_EQ(futures[i].get().outputs[0].raw(), expected(inputs[i])[0].raw()) << i;
    } catch (const runtime::RuntimeError& e) {
      ++failed;
      EXPECT_EQ(e.kind(), runtime::RuntimeErrorKind::kDevice);
      const std::string what = e.what();
      EXPECT_NE(what.find("illegal instruction"), std::string::npos) << what;
      EXPECT_NE(what.find("on npu0pe0 failed"), std::string::npos) << what;
      EXPECT_NE(what.find("the device was reset"), std::string::npos) << what;
    }
  }
  EXPECT_EQ(failed, 1);
  EXPECT_EQ(runner.stats().device_resets, 1u);
  EXPECT_EQ(runner.stats().failed, 1u);
  // Later requests run normally.
  const Tensor x = random_input({1, 8, 16, 16}, 499);
  EXPECT_EQ(runner.run_async({x}).get().outputs[0].raw(), expected(x)[0].raw());
}

TEST_F(RuntimeTest, SyncRunnerReportsTheFaultAndGoesOn) {
  runtime::Runner runner(compiled(), options("npu0pe1"));
  const Tensor x = random_input({1, 8, 16, 16}, 500);
  transport->write32(isa::reg::kErrorInject, uint32_t(isa::reg::ErrorCode::kAddressOutOfRange));
  try {
    runner.run({x});
    FAIL() << "the injected fault did not surface";
  } catch (const runtime::RuntimeError& e) {
    EXPECT_EQ(e.kind(), runtime::RuntimeErrorKind::kDevice);
    EXPECT_NE(std::string(e.what()).find("address out of range"), std::string::npos) << e.what();
  }
  EXPECT_EQ(runner.run({x})[0].raw(), expected(x)[0].raw());
}

}  // namespace
}  // namespace npusim::testing
