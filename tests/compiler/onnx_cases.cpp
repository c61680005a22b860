// Scans the node conformance cases and loads their tensors. With
// onnx_io_test.cpp, the compiler test files that include the generated ONNX
// protobuf header (it is slow to compile).
#include "compiler/onnx_cases.hpp"

#include <onnx/onnx_pb.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include <unistd.h>

#include "common/onnx_testdata.hpp"
#include "common/read_file.hpp"
#include "npusim/compiler/executor.hpp"

namespace npusim::compiler::testing {
namespace {

namespace fs = std::filesystem;
using npusim::testing::read_file;

std::string type_name(int t) {
  return onnx::TensorProto::DataType_Name(static_cast<onnx::TensorProto::DataType>(t));
}

bool supported_elem_type(int t) {
  using TP = onnx::TensorProto;
  return t == TP::FLOAT || t == TP::UINT8 || t == TP::INT8 || t == TP::INT32 || t == TP::INT64 ||
         t == TP::BOOL;
}

// Why the graph's inputs/outputs cannot be fed or compared, or "".
std::string type_skip(const onnx::GraphProto& g) {
  for (const auto* list : {&g.input(), &g.output()})
    for (const auto& v : *list) {
      const std::string role = list == &g.input() ? "input" : "output";
      if (!v.type().has_tensor_type())
        return "non-tensor value (sequence/optional/map) (" + role + " '" + v.name() + "')";
      const int t = v.type().tensor_type().elem_type();
      if (!supported_elem_type(t))
        return "dtype " + type_name(t) + " is not an executor dtype (" + role + " '" + v.name() +
               "')";
    }
  return "";
}

// Cases that are well-typed but outside what an inference executor does.
std::string semantic_skip(const std::string& name, const onnx::GraphProto& g) {
  for (const auto& n : g.node())
    for (const auto& a : n.attribute())
      if (n.op_type() == "BatchNormalization" && a.name() == "training_mode" && a.i() != 0)
        return "BatchNormalization training_mode=1 (batch statistics; the executor is "
               "inference-only)";
  static const std::set<std::string> random_dropout = {
      "test_training_dropout", "test_training_dropout_default",
      "test_training_dropout_default_mask", "test_training_dropout_mask"};
  if (random_dropout.count(name))
    return "training-mode Dropout with ratio > 0 (random mask drawn by numpy)";
  // The expected outputs were computed with pi = 3.1415 (onnx 1.12
  // backend/test/case/node/*window.py), the expanded graphs use 2*pi = 6.28318548.
  for (const char* w : {"test_hannwindow", "test_hammingwindow", "test_blackmanwindow"})
    if (name.rfind(w, 0) == 0)
      return "expected output computed with pi = 3.1415, not the graph's 2*pi (data error)";
  return "";
}

std::map<std::string, NodeCase> scan() {
  std::map<std::string, NodeCase> out;
  const std::string root = npusim::testing::testdata_root() + "/node";
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    const std::string model = entry.path().string() + "/model.onnx";
    onnx::ModelProto m;
    if (!fs::exists(model) || !m.ParseFromString(read_file(model))) continue;
    NodeCase c;
    c.name = entry.path().filename().string();
    c.dir = entry.path().string();
    bool ok = true;
    for (const auto& n : m.graph().node()) {
      ok = ok && executor_supports(n.op_type(), n.domain());
      c.ops.push_back(n.op_type());
    }
    if (!ok) continue;
    c.skip = type_skip(m.graph());
    if (c.skip.empty()) c.skip = semantic_skip(c.name, m.graph());
    out.emplace(c.name, std::move(c));
  }
  return out;
}

// The scan parses ~900 models; every test process (one per test under
// ctest) needs its result, so it is cached beside the test binary, keyed by
// the binary and the data directory (a rebuilt executor or new data rescans).
std::string cache_key(const std::string& root) {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  const auto exe_time = fs::last_write_time(exe, ec).time_since_epoch().count();
  const auto exe_size = fs::file_size(exe, ec);
  const auto data_time = fs::last_write_time(root, ec).time_since_epoch().count();
  return "node-cases v1 " + root + " " + std::to_string(exe_time) + " " + std::to_string(exe_size) +
         " " + std::to_string(data_time);
}

std::string cache_path() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? "" : exe.string() + ".node_cases";
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string part;
  std::istringstream in(s);
  while (std::getline(in, part, sep)) out.push_back(part);
  return out;
}

// Lines: name TAB dir TAB op,op,... TAB skip reason.
bool read_cache(const std::string& path, const std::string& key,
                std::map<std::string, NodeCase>& out) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line) || line != key) return false;
  while (std::getline(in, line)) {
    const auto f = split(line, '\t');
    if (f.size() < 3) return false;
    NodeCase c{f[0], f[1], split(f[2], ','), f.size() > 3 ? f[3] : ""};
    out.emplace(c.name, std::move(c));
  }
  return true;
}

void write_cache(const std::string& path, const std::string& key,
                 const std::map<std::string, NodeCase>& cases) {
  const std::string tmp = path + "." + std::to_string(::getpid());
  {
    std::ofstream out(tmp);
    out << key << "\n";
    for (const auto& [name, c] : cases) {
      std::string ops;
      for (const auto& op : c.ops) ops += (ops.empty() ? "" : ",") + op;
      out << name << '\t' << c.dir << '\t' << ops << '\t' << c.skip << "\n";
    }
    if (!out) return;
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);  // atomic: parallel test processes may race here
  if (ec) fs::remove(tmp, ec);
}

std::map<std::string, NodeCase> cached_scan() {
  const std::string root = npusim::testing::testdata_root() + "/node";
  const std::string path = cache_path(), key = cache_key(root);
  std::map<std::string, NodeCase> cases;
  if (!path.empty() && read_cache(path, key, cases)) return cases;
  cases = scan();
  if (!path.empty() && !cases.empty()) write_cache(path, key, cases);
  return cases;
}

template <typename T, typename Src>
void fill(Tensor& t, const Src& src, const std::string& path) {
  auto dst = t.as<T>();
  if (static_cast<size_t>(src.size()) != dst.size())
    throw std::runtime_error(path + ": value count does not match the dims");
  for (size_t i = 0; i < dst.size(); ++i) dst[i] = static_cast<T>(src.Get(static_cast<int>(i)));
}

DType dtype_of(int t, const std::string& path) {
  using TP = onnx::TensorProto;
  switch (t) {
    case TP::FLOAT:
      return DType::kFloat32;
    case TP::UINT8:
      return DType::kUint8;
    case TP::INT8:
      return DType::kInt8;
    case TP::INT32:
      return DType::kInt32;
    case TP::INT64:
      return DType::kInt64;
    case TP::BOOL:
      return DType::kBool;
    default:
      throw std::runtime_error(path + ": dtype " + type_name(t) + " is not an executor dtype");
  }
}

}  // namespace

const std::map<std::string, NodeCase>& supported_node_cases() {
  static const std::map<std::string, NodeCase> cases = cached_scan();
  return cases;
}

Tensor load_tensor_pb(const std::string& path) {
  onnx::TensorProto p;
  if (!p.ParseFromString(read_file(path))) throw std::runtime_error("not a TensorProto: " + path);
  Tensor t(dtype_of(p.data_type(), path), Shape(p.dims().begin(), p.dims().end()));
  if (!p.raw_data().empty()) {
    if (p.raw_data().size() != t.bytes())
      throw std::runtime_error(path + ": raw data size does not match the dims");
    std::memcpy(t.raw().data(), p.raw_data().data(), t.bytes());
    return t;
  }
  switch (t.dtype()) {
    case DType::kFloat32:
      fill<float>(t, p.float_data(), path);
      break;
    case DType::kInt64:
      fill<int64_t>(t, p.int64_data(), path);
      break;
    case DType::kInt32:
      fill<int32_t>(t, p.int32_data(), path);
      break;
    case DType::kInt8:
      fill<int8_t>(t, p.int32_data(), path);
      break;
    default:
      fill<uint8_t>(t, p.int32_data(), path);
      break;
  }
  return t;
}

std::vector<Tensor> load_case_tensors(const std::string& case_dir, const std::string& prefix) {
  std::vector<Tensor> out;
  for (int i = 0;; ++i) {
    const std::string path =
        case_dir + "/test_data_set_0/" + prefix + "_" + std::to_string(i) + ".pb";
    if (!fs::exists(path)) break;
    out.push_back(load_tensor_pb(path));
  }
  return out;
}

}  // namespace npusim::compiler::testing
