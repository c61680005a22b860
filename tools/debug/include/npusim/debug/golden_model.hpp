// The golden model of a compiled program: the quantised ONNX model cut and
// lowered exactly as the compiler does (compiler::compile's first stages),
// run by the reference executor on the host. The simulator must reproduce
// its every int8 code (docs/debug.md).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "npusim/compiler/executor.hpp"
#include "npusim/compiler/graph.hpp"
#include "npusim/runtime/model.hpp"

namespace npusim::debug {

using compiler::Graph;
using compiler::Tensor;
using compiler::TensorMap;

struct GoldenOptions {
  std::map<std::string, compiler::Shape> input_shapes;  // dynamic input dims
  std::vector<std::string> outputs;                     // cut the graph here ("": keep)
};

// One layer of the golden model: a node of the lowered graph and the int8
// code tensor it writes, with that tensor's quantisation (from the
// QuantizeLinear of the QDQ file that defines it).
struct GoldenLayer {
  std::string node, op;  // "QConv", "QAdd", ..., or the ONNX op left on the CPU
  std::string tensor;    // the code tensor (the QuantizeLinear output's name)
  std::string source;    // the float tensor the QuantizeLinear quantises
  float scale = 1.0f;
  int32_t zero_point = 0;
};

class GoldenModel {
 public:
  // Imports `onnx_path` (a QDQ model). Errors name the file and the reason.
  static GoldenModel load(const std::string& onnx_path, const GoldenOptions& options = {});

  const std::string& path() const { return path_; }
  const Graph& qdq() const { return qdq_; }          // as imported (cut)
  const Graph& lowered() const { return lowered_; }  // what the code generator sees
  const std::vector<GoldenLayer>& layers() const { return layers_; }
  // The model's inputs and outputs as the runtime describes a program's.
  std::vector<runtime::TensorDesc> inputs() const;
  std::vector<runtime::TensorDesc> outputs() const;

  // Runs the lowered graph; `inputs` by name. With `every_layer`, the result
  // also holds every layer's code tensor.
  TensorMap run(const TensorMap& inputs, bool every_layer = false) const;

 private:
  std::string path_;
  Graph qdq_, lowered_;
  std::vector<GoldenLayer> layers_;
};

// Every code tensor of `layers`, in order (for ModelOptions::outputs, to
// capture them all from the device).
std::vector<std::string> layer_tensors(const std::vector<GoldenLayer>& layers);

}  // namespace npusim::debug
