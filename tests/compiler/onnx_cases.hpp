// The ONNX node conformance cases (libonnx-testdata) as the reference
// executor's tests see them: which cases use only supported ops, why some of
// those cannot run, and their tensors as compiler Tensors.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "npusim/compiler/tensor.hpp"

namespace npusim::compiler::testing {

struct NodeCase {
  std::string name;  // directory name, e.g. "test_conv_with_strides_padding"
  std::string dir;   // full path
  std::vector<std::string> ops;
  std::string skip;  // non-empty: why the case cannot run (dtype, training mode, ...)
};

// Every case under <testdata>/node whose ops the executor all supports, by name.
const std::map<std::string, NodeCase>& supported_node_cases();

// A serialized TensorProto as a Tensor (float/uint8/int8/int32/int64/bool);
// throws std::runtime_error naming the file for other dtypes.
Tensor load_tensor_pb(const std::string& path);

// test_data_set_0/<prefix>_N.pb of a case, in order.
std::vector<Tensor> load_case_tensors(const std::string& case_dir, const std::string& prefix);

}  // namespace npusim::compiler::testing
