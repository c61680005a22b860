// npusim run -d cpu: the golden model (the reference executor on the model
// lowered as the compiler lowers it) instead of the simulated device.
#pragma once

#include <string>
#include <vector>

#include "npusim/runtime/model.hpp"

namespace npusim::cli {

// True for the device string that selects the reference executor.
bool is_cpu_device(const std::string& devices);

// Runs the ONNX model at `path` (loaded for the device as `model`, whose
// inputs `inputs` follow) on the host; returns model.outputs() in order and
// the host time in `wall_ms`. A .npub is refused naming the file: it does not
// hold its NPU segments as a graph.
std::vector<runtime::Tensor> run_on_cpu(const std::string& path, const runtime::Model& model,
                                        const std::vector<runtime::Tensor>& inputs,
                                        const runtime::ModelOptions& options, double* wall_ms);

}  // namespace npusim::cli
