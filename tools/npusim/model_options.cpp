#include "model_options.hpp"

#include "input_options.hpp"
#include "npusim/runtime/device_list.hpp"

namespace npusim::cli {

runtime::ModelOptions model_options(const isa::HwParams& hw, const std::string& devices,
                                    const std::vector<std::string>& input_shapes) {
  runtime::ModelOptions mo;
  mo.hw = hw;
  const auto list = runtime::parse_device_list(devices);
  mo.target = runtime::pe_mask_of(list.front()) == 3 ? isa::Mode::kFused : isa::Mode::kSingle;
  for (const auto& s : input_shapes) mo.input_shapes.insert(parse_input_shape(s));
  return mo;
}

}  // namespace npusim::cli
