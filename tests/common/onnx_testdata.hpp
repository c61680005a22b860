// Reads tensors of the ONNX conformance data (libonnx-testdata) for tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace npusim::testing {

// A tensor from a serialized onnx TensorProto (.pb), converted to doubles
// for easy comparison; dtype is the ONNX name ("float", "int8", "uint8", "int32", ...).
struct TestTensor {
  std::string name;
  std::string dtype;
  std::vector<int64_t> dims;
  std::vector<double> values;
};

// Root of the conformance data (…/data with node/, pytorch-converted/, …).
std::string testdata_root();

// Loads test_data_set_0/input_N.pb or output_N.pb of a case, in order.
std::vector<TestTensor> load_case_tensors(const std::string& case_dir, const std::string& prefix);

TestTensor load_tensor(const std::string& pb_path);

}  // namespace npusim::testing
