// Small FP32 models built in code for the quantiser's tests (no files, no
// network).
#pragma once

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "npusim/compiler/executor.hpp"
#include "npusim/compiler/graph.hpp"

namespace npusim::testing {

// Builds a graph node by node; values are named by their producer.
class ModelBuilder {
 public:
  explicit ModelBuilder(int64_t opset = 13, uint32_t seed = 3);
  std::string input(const std::string& name, compiler::Shape shape);
  std::string constant(const std::string& name, compiler::Tensor t);
  // Conv with He-initialised weights [oc, ic/group, k, k] and (optional) small bias.
  std::string conv(const std::string& x, int64_t oc, int64_t k, int64_t stride = 1, int64_t pad = 0,
                   bool bias = true, int64_t group = 1);
  std::string op(const std::string& op, std::vector<std::string> inputs,
                 std::map<std::string, compiler::Attribute> attrs = {});
  std::string silu(const std::string& x);  // x * Sigmoid(x)
  // Gemm [M, K] x [N, K]^T + bias.
  std::string gemm(const std::string& x, int64_t n);
  void output(const std::string& v) { g_.outputs.push_back(v); }
  // The graph through an ONNX round trip (checker, shape inference).
  compiler::Graph build() const;

 private:
  int64_t channels(const std::string& v) const { return channels_.at(v); }
  compiler::Graph g_;
  std::mt19937 rng_;
  std::map<std::string, int64_t> channels_;  // dim 1 of each value, where tracked
  int counter_ = 0;
};

// x[1,3,16,16] -> Conv3x3 -> Relu -> Conv3x3 -> Add(residual) -> Relu -> MaxPool
//   -> Conv1x1 -> SiLU -> GlobalAveragePool -> Flatten -> Gemm(10) -> y
compiler::Graph small_cnn();

// Uniform [0, 1) inputs for every graph input.
std::vector<compiler::TensorMap> random_inputs(const compiler::Graph& g, size_t n, uint32_t seed);

}  // namespace npusim::testing
