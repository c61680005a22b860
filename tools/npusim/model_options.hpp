// How run, bench and profile load a model: the hardware, the target that
// suits the device string (fused for npu0pe0-1) and --input-shape overrides.
#pragma once

#include <string>
#include <vector>

#include "npusim/runtime/model.hpp"

namespace npusim::cli {

// The device string's entries (aliases resolved); a bad string is a UsageError.
std::vector<std::string> device_list(const std::string& devices);

// `batch` (-b): images per request (0: one image for ONNX, any for a .npub).
runtime::ModelOptions model_options(const isa::HwParams& hw, const std::string& devices,
                                    const std::vector<std::string>& input_shapes, int batch = 0);

}  // namespace npusim::cli
