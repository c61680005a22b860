// Loader for the ONNX conformance data. The only test file that includes
// the generated ONNX protobuf header.
#include "common/onnx_testdata.hpp"

#include <onnx/onnx_pb.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace npusim::testing {
namespace {

template <typename T>
void append_raw(const std::string& raw, std::vector<double>& out) {
  const size_t n = raw.size() / sizeof(T);
  for (size_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, raw.data() + i * sizeof(T), sizeof(T));
    out.push_back(static_cast<double>(v));
  }
}

std::vector<double> values_of(const onnx::TensorProto& t) {
  std::vector<double> v;
  const std::string& raw = t.raw_data();
  switch (t.data_type()) {
    case onnx::TensorProto::FLOAT:
      if (!raw.empty()) append_raw<float>(raw, v);
      for (float f : t.float_data()) v.push_back(f);
      break;
    case onnx::TensorProto::DOUBLE:
      if (!raw.empty()) append_raw<double>(raw, v);
      for (double d : t.double_data()) v.push_back(d);
      break;
    case onnx::TensorProto::INT8:
      if (!raw.empty()) append_raw<int8_t>(raw, v);
      for (int32_t i : t.int32_data()) v.push_back(static_cast<int8_t>(i));
      break;
    case onnx::TensorProto::UINT8:
      if (!raw.empty()) append_raw<uint8_t>(raw, v);
      for (int32_t i : t.int32_data()) v.push_back(static_cast<uint8_t>(i));
      break;
    case onnx::TensorProto::INT32:
      if (!raw.empty()) append_raw<int32_t>(raw, v);
      for (int32_t i : t.int32_data()) v.push_back(i);
      break;
    case onnx::TensorProto::INT64:
      if (!raw.empty()) append_raw<int64_t>(raw, v);
      for (int64_t i : t.int64_data()) v.push_back(static_cast<double>(i));
      break;
    default:
      throw std::runtime_error("onnx_testdata: unsupported data type " +
                               std::to_string(t.data_type()) + " in tensor " + t.name());
  }
  return v;
}

std::string dtype_name(int type) {
  return onnx::TensorProto::DataType_Name(static_cast<onnx::TensorProto::DataType>(type));
}

}  // namespace

std::string testdata_root() {
  if (const char* env = std::getenv("NPUSIM_TESTDATA")) return env;
  return "/usr/share/libonnx-testdata/data";
}

TestTensor load_tensor(const std::string& pb_path) {
  std::ifstream in(pb_path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + pb_path);
  onnx::TensorProto t;
  if (!t.ParseFromIstream(&in)) throw std::runtime_error("not a TensorProto: " + pb_path);
  TestTensor out;
  out.name = t.name();
  out.dtype = dtype_name(t.data_type());
  for (auto d : t.dims()) out.dims.push_back(d);
  out.values = values_of(t);
  return out;
}

std::vector<TestTensor> load_case_tensors(const std::string& case_dir, const std::string& prefix) {
  std::vector<TestTensor> out;
  for (int i = 0;; ++i) {
    const std::string path =
        case_dir + "/test_data_set_0/" + prefix + "_" + std::to_string(i) + ".pb";
    if (!std::filesystem::exists(path)) break;
    out.push_back(load_tensor(path));
  }
  return out;
}

}  // namespace npusim::testing
