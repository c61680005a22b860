// Checks on the model outputs handed to the decoders, with errors that say
// which tensor is wrong and how, since names differ between model exports.
#pragma once

#include <span>
#include <string>

#include "npusim/compiler/tensor.hpp"

namespace npusim::vision::detail {

// "name [1x512x1], other [1x384x16]" (or "no tensors"), for error messages.
std::string list_tensors(const compiler::TensorMap& tensors);

// The float32 data of `t` (described as `what`) after checking its dtype and
// shape (all dims equal to `expected`); throws std::runtime_error otherwise.
std::span<const float> float_data(const compiler::Tensor* t, const std::string& what,
                                  const compiler::Shape& expected);

}  // namespace npusim::vision::detail
