// The independent oracle for the quantised developer models: ONNX Runtime
// (tools/oracle/ort_run.js, installed by scripts/install-oracle.sh) run on a
// QDQ file, next to the reference executor on the same file. Results are
// compared in the quantised domain: the int8 codes of QuantizeLinear
// outputs, among them those that feed each output's final DequantizeLinear.
//
// Nothing here skips: a missing model, image, node or ONNX Runtime is a test
// failure naming the file and the script that provides it.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/model_cache.hpp"
#include "npusim/compiler/executor.hpp"
#include "npusim/compiler/graph.hpp"

namespace npusim::testing {

using compiler::Graph;
using compiler::Tensor;
using compiler::TensorMap;

// Success if node and onnxruntime-node can be found (not loaded), else a
// failure naming what is missing and scripts/install-oracle.sh.
::testing::AssertionResult oracle_present();

// A temporary directory removed when the object goes.
class TempDir {
 public:
  explicit TempDir(const std::string& tag);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Runs `model_file` with ONNX Runtime (CPU, 1 thread) on `inputs` at graph
// optimisation level `opt_level` (disabled, basic, extended, all); returns
// the named outputs. Throws std::runtime_error with ort_run.js's message.
TensorMap run_ort(const std::string& model_file, const TensorMap& inputs,
                  const std::vector<std::string>& outputs, const std::string& opt_level,
                  const std::string& work_dir);

// The int8/uint8 tensors whose codes decide graph output `output`: the
// input of the DequantizeLinear that produces it, or, for an output of a
// float op (PP-OCR cls's Softmax), of the nearest DequantizeLinears upstream.
std::vector<std::string> output_codes(const Graph& qdq, const std::string& output);

// Every QuantizeLinear output of `qdq`, in graph order: the int8 code
// tensors ONNX Runtime is asked for.
std::vector<std::string> quantized_values(const Graph& qdq);

// Teacher forcing: `g` with each value in `forced` that a node computes
// turned into a graph input; the node writes own_name(v) instead. Run with
// ONNX Runtime's codes for those inputs, every layer starts from ONNX
// Runtime's inputs, so a rounding difference in one layer does not reach the
// next: the result compares the two implementations layer by layer.
Graph force_values(const Graph& g, const std::vector<std::string>& forced,
                   std::vector<std::string>* applied = nullptr);
std::string own_name(const std::string& value);

// Agreement of two code tensors (int8 or uint8, same shape).
struct CodeAgreement {
  int64_t elements = 0, exact = 0, within_1 = 0;
  int max_diff = 0;
  double within_1_share() const { return elements ? double(within_1) / double(elements) : 0; }
};
CodeAgreement compare_codes(const Tensor& a, const Tensor& b);
CodeAgreement& operator+=(CodeAgreement& total, const CodeAgreement& one);

// Largest |a - b| of two float32 tensors of the same size.
double max_abs_diff(const Tensor& a, const Tensor& b);

}  // namespace npusim::testing
