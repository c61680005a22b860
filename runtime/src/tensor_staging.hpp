// Moving tensors between the host's graph values (NCHW, as ONNX defines
// them) and a device I/O area (NHWC for 4-D tensors, docs/npub.md).
#pragma once

#include <cstdint>
#include <vector>

#include "npusim/compiler/tensor.hpp"
#include "npusim/isa/program.hpp"

namespace npusim::runtime {

// Writes `value` into `area` at t.io_offset in the device layout. Throws
// RuntimeError (kInvalidInput) naming the tensor on a dtype/shape mismatch.
void stage_in(const compiler::Tensor& value, const isa::TensorInfo& t, std::vector<uint8_t>& area);
// Reads tensor `t` from `area` back into the graph layout.
compiler::Tensor stage_out(const isa::TensorInfo& t, const std::vector<uint8_t>& area);

}  // namespace npusim::runtime
