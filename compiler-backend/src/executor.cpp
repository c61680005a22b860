// The reference executor: the op registry, one-node execution with errors
// that name the node, and whole-graph execution that frees each value after
// its last use.
#include "npusim/compiler/executor.hpp"

#include <algorithm>
#include <set>

#include "ops/kernel.hpp"

namespace npusim::compiler {
namespace {

const ops::Registry& registry() {
  static const ops::Registry r = [] {
    ops::Registry reg;
    ops::register_elementwise_ops(reg);
    ops::register_activation_ops(reg);
    ops::register_conv_ops(reg);
    ops::register_matmul_ops(reg);
    ops::register_pool_ops(reg);
    ops::register_norm_ops(reg);
    ops::register_resize_ops(reg);
    ops::register_layout_ops(reg);
    ops::register_shape_ops(reg);
    ops::register_reduce_ops(reg);
    ops::register_quantize_ops(reg);
    ops::register_npu_ops(reg);
    return reg;
  }();
  return r;
}

std::string type_string(DType t, const Shape& s) {
  return std::string(dtype_name(t)) + " " + shape_string(s);
}

// The graph's record of a value (dtype, and shape when known) must match.
void check_value(const Graph& g, const std::string& name, const Tensor& t,
                 const std::string& where) {
  auto it = g.values.find(name);
  if (it == g.values.end()) return;
  const Value& v = it->second;
  const bool dtype_ok = v.dtype == DType::kUndefined || v.dtype == t.dtype();
  const bool shape_ok = !v.rank_known || v.shape == t.shape();
  if (dtype_ok && shape_ok) return;
  throw CompileError(where + " '" + name + "' is " + type_string(t.dtype(), t.shape()) +
                     " but the graph records " +
                     type_string(v.dtype, v.rank_known ? v.shape : Shape{}) +
                     (v.rank_known ? "" : " (shape unknown)"));
}

// Index of the last node reading each value.
std::map<std::string, size_t> last_uses(const Graph& g) {
  std::map<std::string, size_t> last;
  for (size_t n = 0; n < g.nodes.size(); ++n)
    for (const auto& in : g.nodes[n].inputs)
      if (!in.empty()) last[in] = n;
  return last;
}

// Registry key of an op: its type in the default domain, "domain.Op" otherwise.
std::string op_key(const std::string& op, const std::string& domain) {
  return domain.empty() || domain == "ai.onnx" ? op : domain + "." + op;
}

}  // namespace

bool executor_supports(const std::string& op, const std::string& domain) {
  return registry().count(op_key(op, domain)) > 0;
}

std::vector<std::string> executor_ops() {
  std::vector<std::string> out;
  for (const auto& [name, fn] : registry()) out.push_back(name);
  return out;
}

std::vector<Tensor> execute_node(const Node& n, const std::vector<const Tensor*>& inputs,
                                 int64_t opset) {
  auto it = registry().find(op_key(n.op, n.domain));
  if (it == registry().end())
    throw CompileError(n.describe() + ": op '" + op_key(n.op, n.domain) +
                       "' is not supported by the reference executor");
  std::vector<Tensor> out;
  try {
    out = it->second(ops::OpContext(n, inputs, opset));
  } catch (const std::exception& e) {
    throw CompileError(n.describe() + ": " + e.what());
  }
  out.resize(n.outputs.size());  // unproduced optional outputs stay undefined
  return out;
}

TensorMap execute(const Graph& g, const TensorMap& inputs, const ExecOptions& options) {
  std::map<std::string, const Tensor*> env;  // every available value
  for (const auto& [name, v] : g.values)
    if (v.constant) env[name] = &*v.constant;
  for (const auto& name : g.inputs) {
    auto it = inputs.find(name);
    if (it == inputs.end()) throw CompileError("graph input '" + name + "' was not provided");
    if (options.check_value_info) check_value(g, name, it->second, "graph input");
    env[name] = &it->second;
  }
  for (const auto& [name, t] : inputs)
    if (std::find(g.inputs.begin(), g.inputs.end(), name) == g.inputs.end())
      throw CompileError("'" + name + "' is not an input of the graph");

  const auto last = last_uses(g);
  const std::set<std::string> outputs(g.outputs.begin(), g.outputs.end());
  TensorMap owned;
  for (size_t idx = 0; idx < g.nodes.size(); ++idx) {
    const Node& node = g.nodes[idx];
    std::vector<const Tensor*> args;
    for (const auto& in : node.inputs) {
      if (in.empty()) {
        args.push_back(nullptr);
        continue;
      }
      auto it = env.find(in);
      if (it == env.end())
        throw CompileError(node.describe() + ": input '" + in + "' has not been computed");
      args.push_back(it->second);
    }
    std::vector<Tensor> results = execute_node(node, args, g.opset);
    for (size_t k = 0; k < node.outputs.size(); ++k) {
      const std::string& name = node.outputs[k];
      if (name.empty() || results[k].dtype() == DType::kUndefined) continue;
      if (options.check_value_info) check_value(g, name, results[k], node.describe() + ": output");
      Tensor& slot = owned[name] = std::move(results[k]);
      env[name] = &slot;
    }
    if (options.keep_intermediates) continue;
    for (const auto& in : node.inputs) {  // free values nobody reads any more
      auto lu = last.find(in);
      if (lu == last.end() || lu->second != idx || outputs.count(in) || !owned.count(in)) continue;
      env.erase(in);
      owned.erase(in);
    }
  }

  TensorMap result;
  for (const auto& name : g.outputs) {
    auto it = env.find(name);
    if (it == env.end()) throw CompileError("graph output '" + name + "' was not computed");
    if (result.count(name)) continue;  // listed twice
    auto own = owned.find(name);
    if (own != owned.end() && !options.keep_intermediates)
      result[name] = std::move(own->second);  // computed here: no copy
    else
      result[name] = *it->second;
  }
  if (options.keep_intermediates)
    for (auto& [name, t] : owned) result.emplace(name, std::move(t));
  return result;
}

}  // namespace npusim::compiler
