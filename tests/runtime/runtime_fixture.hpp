// A small quantised model (two convolutions between float boundaries),
// compiled for one PE or both, with the in-process device to run it on, and
// the reference executor's answer for any input.
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "e2e/model_builder.hpp"
#include "npusim/runtime/runner.hpp"
#include "npusim/sim/in_process_device.hpp"

namespace npusim::testing {

class RuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override { configure(isa::HwParams{}); }
  void configure(const isa::HwParams& params, bool timing_only = false);
  std::shared_ptr<const runtime::Model> compiled(isa::Mode target = isa::Mode::kSingle);
  runtime::RunnerOptions options(const std::string& devices = "", int workers = 1) const;
  // The golden executor's outputs for `input`.
  std::vector<Tensor> expected(const Tensor& input) const;

  isa::HwParams hw;
  std::shared_ptr<isa::Transport> transport;
  Graph graph = two_conv_model();
};

}  // namespace npusim::testing
