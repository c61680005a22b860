// The sync runner: outputs equal the reference executor's, on either PE and
// fused; metadata; and errors for wrong devices and inputs.
#include <gtest/gtest.h>

#include "npusim/runtime/device_list.hpp"
#include "runtime_fixture.hpp"

namespace npusim::testing {
namespace {

using runtime::RuntimeError;
using runtime::RuntimeErrorKind;

void expect_kind(RuntimeErrorKind kind, const std::string& fragment,
                 const std::function<void()>& f) {
  try {
    f();
    FAIL() << "expected an error containing \"" << fragment << "\"";
  } catch (const RuntimeError& e) {
    EXPECT_EQ(int(e.kind()), int(kind)) << e.what();
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST_F(RuntimeTest, SyncRunIsBitExactWithTheReferenceExecutorOnEachPe) {
  auto model = compiled();
  for (const std::string pe : {"npu0pe0", "npu0pe1"}) {
    runtime::Runner runner(model, options(pe));
    for (uint32_t seed : {1u, 2u}) {
      const Tensor x = random_input({1, 8, 16, 16}, seed);
      const std::vector<Tensor> y = runner.run({x});
      ASSERT_EQ(y.size(), 1u);
      EXPECT_EQ(y[0].raw(), expected(x)[0].raw()) << pe << " seed " << seed;
    }
    EXPECT_EQ(runner.last_timing().device, pe);
    EXPECT_GT(runner.last_timing().compute_ps, 0u);
    EXPECT_GT(runner.last_timing().h2d_ps, 0u);
    EXPECT_GT(runner.last_timing().host_ps, 0u);
  }
}

TEST_F(RuntimeTest, FusedProgramRunsOnThePairBitExact) {
  runtime::Runner runner(compiled(isa::Mode::kFused), options());  // default: npu0pe0-1
  const Tensor x = random_input({1, 8, 16, 16}, 3);
  EXPECT_EQ(runner.run({x})[0].raw(), expected(x)[0].raw());
  EXPECT_EQ(runner.last_timing().device, "npu0pe0-1");
}

TEST_F(RuntimeTest, ModelMetadataDescribesInputsAndOutputs) {
  auto model = compiled();
  ASSERT_EQ(model->inputs().size(), 1u);
  EXPECT_EQ(model->inputs()[0].describe(), "x: float32 1x8x16x16 NCHW");
  ASSERT_EQ(model->outputs().size(), 1u);
  EXPECT_EQ(model->outputs()[0].name, "y");
  EXPECT_EQ(model->outputs()[0].shape, (Shape{1, 8, 8, 8}));
}

TEST_F(RuntimeTest, RunWithNamesInputsAndOutputs) {
  runtime::Runner runner(compiled(), options());
  const Tensor x = random_input({1, 8, 16, 16}, 4);
  const auto out = runner.run_with({"y"}, {{"x", x}});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].first, "y");
  EXPECT_EQ(out[0].second.raw(), expected(x)[0].raw());
  expect_kind(RuntimeErrorKind::kInvalidInput, "no input named \"images\" (inputs: x)", [&] {
    runner.run_with({}, {{"images", x}});
  });
  expect_kind(RuntimeErrorKind::kInvalidInput, "no output named \"boxes\"", [&] {
    runner.run_with({"boxes"}, {{"x", x}});
  });
  expect_kind(RuntimeErrorKind::kInvalidInput, "input \"x\" is missing",
              [&] { runner.run_with({}, {}); });
}

TEST_F(RuntimeTest, WrongDtypeShapeOrCountIsAClearError) {
  runtime::Runner runner(compiled(), options());
  expect_kind(RuntimeErrorKind::kInvalidInput,
              "input \"x\" must be float32 1x8x16x16, got int8 1x8x16x16", [&] {
                runner.run({Tensor(DType::kInt8, {1, 8, 16, 16})});
              });
  expect_kind(RuntimeErrorKind::kInvalidInput, "got float32 1x8x16x8", [&] {
    runner.run({Tensor(DType::kFloat32, {1, 8, 16, 8})});
  });
  expect_kind(RuntimeErrorKind::kInvalidInput, "takes 1 input(s), got 0", [&] { runner.run({}); });
  // The runner still works afterwards.
  const Tensor x = random_input({1, 8, 16, 16}, 5);
  EXPECT_EQ(runner.run({x})[0].raw(), expected(x)[0].raw());
}

TEST_F(RuntimeTest, APeInUseIsBusy) {
  auto model = compiled();
  runtime::Runner first(model, options("npu0pe0"));
  expect_kind(RuntimeErrorKind::kBusy, "npu0pe0 is busy",
              [&] { runtime::Runner second(model, options("npu0pe0")); });
  runtime::Runner other_pe(model, options("npu0pe1"));  // the other PE is free
  expect_kind(RuntimeErrorKind::kBusy, "busy",
              [&] { runtime::Runner fused(compiled(isa::Mode::kFused), options("npu0pe0-1")); });
}

TEST_F(RuntimeTest, DeviceStringsAreChecked) {
  auto model = compiled();
  expect_kind(RuntimeErrorKind::kInvalidInput, "bad device \"npu1pe0\"",
              [&] { runtime::Runner r(model, options("npu1pe0")); });
  expect_kind(RuntimeErrorKind::kInvalidInput, "uses a PE twice (npu0pe0-1)",
              [&] { runtime::Runner r(model, options("npu0pe0,npu0pe0-1")); });
  expect_kind(RuntimeErrorKind::kInvalidInput, "compiled for one PE",
              [&] { runtime::Runner r(model, options("npu0pe0-1")); });
  expect_kind(RuntimeErrorKind::kInvalidInput, "compiled for fused PEs",
              [&] { runtime::Runner r(compiled(isa::Mode::kFused), options("npu0pe1")); });
}

TEST_F(RuntimeTest, SdkDeviceAliasesRunOnTheNamedPes) {
  const Tensor x = random_input({1, 8, 16, 16}, 7);
  {
    runtime::Runner fused(compiled(isa::Mode::kFused), options("warboy(2)*1"));
    EXPECT_EQ(fused.run({x})[0].raw(), expected(x)[0].raw());
    EXPECT_EQ(fused.last_timing().device, "npu0pe0-1");
  }
  runtime::Runner single(compiled(), options("npu:0:1"));
  EXPECT_EQ(single.run({x})[0].raw(), expected(x)[0].raw());
  EXPECT_EQ(single.last_timing().device, "npu0pe1");
}

TEST_F(RuntimeTest, DefaultDeviceComesFromTheEnvironment) {
  setenv(runtime::kDevicesEnv, "npu0pe1", 1);
  runtime::Runner runner(compiled(), options(""));
  runner.run({random_input({1, 8, 16, 16}, 6)});
  EXPECT_EQ(runner.last_timing().device, "npu0pe1");
  unsetenv(runtime::kDevicesEnv);
}

}  // namespace
}  // namespace npusim::testing
