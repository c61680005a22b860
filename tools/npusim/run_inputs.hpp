// A model's inputs from run's -i specs (FILE.npy, IMAGE, random, NAME=SPEC),
// shared by npusim run and npusim debug (defined in cmd_run.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "input_options.hpp"
#include "npusim/runtime/model.hpp"

namespace npusim::cli {

std::vector<runtime::Tensor> model_inputs(const runtime::Model& model,
                                          const std::vector<std::string>& specs,
                                          const ImageOptions& image, uint32_t seed);

}  // namespace npusim::cli
