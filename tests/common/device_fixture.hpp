// A test fixture with the in-process device and the driver on top of it.
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "npusim/driver/device.hpp"
#include "npusim/runtime/loaded_program.hpp"
#include "npusim/runtime/run_once.hpp"
#include "npusim/sim/in_process_device.hpp"

namespace npusim::testing {

class DeviceTest : public ::testing::Test {
 protected:
  // (Re)configures the device; every test starts with the warboy preset.
  void start(const isa::HwParams& hw = isa::HwParams{}, bool timing_only = false);
  void SetUp() override { start(); }

  // Loads `program` and runs it once on `pe` through the driver.
  runtime::RunOutcome run(const isa::Program& program,
                          const std::vector<std::vector<uint8_t>>& inputs,
                          const std::string& pe = "npu0pe0", bool verify = true);

  isa::HwParams hw;
  std::unique_ptr<driver::Device> device;
};

}  // namespace npusim::testing
