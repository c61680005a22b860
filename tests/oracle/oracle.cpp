#include "oracle.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "npusim/compiler/calibration.hpp"

namespace npusim::testing {
namespace fs = std::filesystem;

namespace {

std::string find_node() {
  const char* path = std::getenv("PATH");
  std::stringstream ss(path ? path : "");
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    const fs::path p = fs::path(dir.empty() ? "." : dir) / "node";
    if (::access(p.c_str(), X_OK) == 0) return p.string();
  }
  return "";
}

std::string ort_package() {
  if (const char* p = std::getenv("NPUSIM_ORT"); p && *p) return p;
  return cache_dir() + "/oracle/node_modules/onnxruntime-node";
}

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// ort_run.js's file name for an output: characters outside [A-Za-z0-9._-] become '_'.
std::string file_name(const std::string& name) {
  std::string s = name;
  for (char& c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) c = '_';
  return s;
}

}  // namespace

::testing::AssertionResult oracle_present() {
  if (find_node().empty())
    return ::testing::AssertionFailure()
           << "'node' is not on PATH: run scripts/install-oracle.sh (installs nodejs, npm and "
              "ONNX Runtime; scripts/test.sh runs it)";
  const std::string pkg = ort_package();
  if (!fs::exists(pkg + "/package.json"))
    return ::testing::AssertionFailure()
           << pkg << "/package.json is missing (ONNX Runtime for node): run "
           << "scripts/install-oracle.sh (scripts/test.sh runs it)";
  return ::testing::AssertionSuccess();
}

TempDir::TempDir(const std::string& tag) {
  static std::atomic<int> counter{0};
  const fs::path p =
      fs::temp_directory_path() /
      ("npusim_" + tag + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
  fs::create_directories(p);
  path_ = p.string();
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

TensorMap run_ort(const std::string& model_file, const TensorMap& inputs,
                  const std::vector<std::string>& outputs, const std::string& opt_level,
                  const std::string& work_dir) {
  static std::atomic<int> counter{0};
  const std::string dir = work_dir + "/ort_" + opt_level + "_" + std::to_string(counter++);
  fs::create_directories(dir);
  std::string cmd = quote(find_node()) + " " +
                    quote(std::string(NPUSIM_SOURCE_DIR) + "/tools/oracle/ort_run.js") + " " +
                    quote(model_file);
  int index = 0;
  for (const auto& [name, t] : inputs) {
    const std::string file = dir + "/input" + std::to_string(index++) + ".npy";
    compiler::write_npy(file, t);
    cmd += " --input " + quote(name + "=" + file);
  }
  const std::string log = dir + "/log.txt";
  cmd += " --opt-level " + quote(opt_level) + " --output-dir " + quote(dir) + " >" + quote(log) +
         " 2>&1";
  if (std::system(cmd.c_str()) != 0)
    throw std::runtime_error("ONNX Runtime failed (" + cmd + "):\n" + read_text(log));
  TensorMap results;
  for (const auto& name : outputs) {
    const std::string file = dir + "/" + file_name(name) + ".npy";
    if (!fs::exists(file))
      throw std::runtime_error("ONNX Runtime wrote no " + file + " for output " + name + ":\n" +
                               read_text(log));
    results[name] = compiler::read_npy(file);
  }
  return results;
}

std::vector<std::string> output_codes(const Graph& qdq, const std::string& output) {
  std::vector<std::string> codes, stack{output};
  std::set<std::string> seen;
  while (!stack.empty()) {
    const std::string v = stack.back();
    stack.pop_back();
    if (!seen.insert(v).second) continue;
    const int p = qdq.producer(v);
    if (p < 0) continue;
    const auto& n = qdq.nodes[static_cast<size_t>(p)];
    if (n.op == "DequantizeLinear") {
      if (!qdq.is_constant(n.inputs[0])) codes.push_back(n.inputs[0]);
      continue;
    }
    for (const auto& in : n.inputs)
      if (!in.empty() && !qdq.is_constant(in)) stack.push_back(in);
  }
  std::sort(codes.begin(), codes.end());
  return codes;
}

std::vector<std::string> quantized_values(const Graph& qdq) {
  std::vector<std::string> v;
  for (const auto& n : qdq.nodes)
    if (n.op == "QuantizeLinear") v.push_back(n.outputs.at(0));
  return v;
}

std::string own_name(const std::string& value) {
  return value + "#own";
}

Graph force_values(const Graph& g, const std::vector<std::string>& forced,
                   std::vector<std::string>* applied) {
  Graph f = g;
  const std::set<std::string> wanted(forced.begin(), forced.end());
  for (auto& n : f.nodes)
    for (auto& o : n.outputs) {
      if (!wanted.count(o)) continue;
      compiler::Value own = f.value(o);
      own.name = own_name(o);
      f.values[own.name] = own;
      f.inputs.push_back(o);
      if (applied) applied->push_back(o);
      o = own.name;
    }
  return f;
}

namespace {
std::vector<int> codes_of(const Tensor& t) {
  std::vector<int> v;
  if (t.dtype() == compiler::DType::kInt8) {
    for (int8_t c : t.as<int8_t>()) v.push_back(c);
  } else if (t.dtype() == compiler::DType::kUint8) {
    for (uint8_t c : t.as<uint8_t>()) v.push_back(c);
  } else {
    throw std::runtime_error("not a code tensor: " + std::string(compiler::dtype_name(t.dtype())));
  }
  return v;
}
}  // namespace

CodeAgreement compare_codes(const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype() || a.shape() != b.shape())
    throw std::runtime_error(
        "code tensors differ in dtype or shape: " + compiler::shape_string(a.shape()) + " vs " +
        compiler::shape_string(b.shape()));
  const std::vector<int> x = codes_of(a), y = codes_of(b);
  CodeAgreement r;
  r.elements = static_cast<int64_t>(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const int d = std::abs(x[i] - y[i]);
    r.exact += d == 0;
    r.within_1 += d <= 1;
    r.max_diff = std::max(r.max_diff, d);
  }
  return r;
}

CodeAgreement& operator+=(CodeAgreement& total, const CodeAgreement& one) {
  total.elements += one.elements;
  total.exact += one.exact;
  total.within_1 += one.within_1;
  total.max_diff = std::max(total.max_diff, one.max_diff);
  return total;
}

double max_abs_diff(const Tensor& a, const Tensor& b) {
  const auto x = a.as<float>(), y = b.as<float>();
  if (x.size() != y.size()) throw std::runtime_error("float tensors differ in size");
  double m = 0;
  for (size_t i = 0; i < x.size(); ++i)
    m = std::max(m, std::fabs(static_cast<double>(x[i]) - static_cast<double>(y[i])));
  return m;
}

}  // namespace npusim::testing
