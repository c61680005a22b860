#include "common/device_fixture.hpp"

namespace npusim::testing {

void DeviceTest::start(const isa::HwParams& params, bool timing_only) {
  device.reset();
  hw = params;
  device = std::make_unique<driver::Device>(sim::in_process_device({hw, timing_only}));
}

runtime::RunOutcome DeviceTest::run(const isa::Program& program,
                                    const std::vector<std::vector<uint8_t>>& inputs,
                                    const std::string& pe, bool verify) {
  auto context = device->open(pe);
  runtime::LoadedProgram loaded(*device, program, hw, verify);
  return runtime::run_once(*context, loaded, inputs, std::chrono::seconds(30));
}

}  // namespace npusim::testing
