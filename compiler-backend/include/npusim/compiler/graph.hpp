// The compiler's graph IR: ONNX-shaped nodes over named values. Import
// (onnx_import.hpp) turns an ONNX file into this; passes rewrite it; the
// reference executor and the code generator consume it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "npusim/compiler/tensor.hpp"

namespace npusim::compiler {

using Attribute = std::variant<int64_t, float, std::string, std::vector<int64_t>,
                               std::vector<float>, std::vector<std::string>, Tensor>;

struct Node {
  std::string name;
  std::string op;                   // ONNX op type, e.g. "Conv"
  std::string domain;               // "" for the default domain
  std::vector<std::string> inputs;  // "" = optional input left out
  std::vector<std::string> outputs;
  std::map<std::string, Attribute> attrs;

  bool has(const std::string& a) const { return attrs.count(a) > 0; }
  int64_t i(const std::string& a, int64_t fallback) const;
  float f(const std::string& a, float fallback) const;
  std::string s(const std::string& a, const std::string& fallback) const;
  std::vector<int64_t> ints(const std::string& a, std::vector<int64_t> fallback = {}) const;
  std::vector<float> floats(const std::string& a, std::vector<float> fallback = {}) const;
  const Tensor* tensor(const std::string& a) const;
  // "Conv 'conv1'" for messages.
  std::string describe() const;
};

// A named value: graph input, initializer (constant) or node output.
struct Value {
  std::string name;
  DType dtype = DType::kUndefined;
  Shape shape;  // empty with rank_known=false: unknown
  bool rank_known = false;
  std::optional<Tensor> constant;  // initializers and folded constants
  std::string layout;              // graph inputs: "NCHW", "NHWC" or "" (unknown)
};

struct Graph {
  std::string name;
  int64_t opset = 0;
  std::vector<Node> nodes;  // topologically ordered
  std::map<std::string, Value> values;
  std::vector<std::string> inputs, outputs;

  Value& value(const std::string& name);
  const Value& value(const std::string& name) const;
  bool has_value(const std::string& name) const { return values.count(name) > 0; }
  bool is_constant(const std::string& name) const;
  // Makes `name` a constant value holding `t` (dtype and shape from it).
  void set_constant(const std::string& name, Tensor t);
  // Index of the node producing `value`, or -1 (graph input / constant).
  int producer(const std::string& value) const;
  std::vector<int> consumers(const std::string& value) const;
  // Re-sorts nodes topologically; throws naming a node on cycles or missing inputs.
  void sort();
  // Drops nodes and values that no graph output depends on.
  void prune();
};

// Errors of import, passes and the executor: name the node/op and reason.
class CompileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace npusim::compiler
