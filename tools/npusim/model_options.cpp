#include "model_options.hpp"

#include "commands.hpp"
#include "input_options.hpp"
#include "npusim/runtime/device_list.hpp"
#include "npusim/runtime/errors.hpp"

namespace npusim::cli {

std::vector<std::string> device_list(const std::string& devices) {
  try {
    return runtime::parse_device_list(devices);
  } catch (const runtime::RuntimeError& e) {  // the command line is wrong: exit status 2
    throw UsageError(e.what());
  }
}

runtime::ModelOptions model_options(const isa::HwParams& hw, const std::string& devices,
                                    const std::vector<std::string>& input_shapes, int batch) {
  runtime::ModelOptions mo;
  mo.hw = hw;
  mo.batch = batch;
  const auto list = device_list(devices);
  mo.target = runtime::pe_mask_of(list.front()) == 3 ? isa::Mode::kFused : isa::Mode::kSingle;
  for (const auto& s : input_shapes) mo.input_shapes.insert(parse_input_shape(s));
  return mo;
}

}  // namespace npusim::cli
