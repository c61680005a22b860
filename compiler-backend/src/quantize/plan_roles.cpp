// Node roles for the quantisation plan (plan_roles.hpp).
#include "plan_roles.hpp"

#include <algorithm>
#include <map>

#include "npusim/compiler/executor.hpp"

namespace npusim::compiler::quant {
namespace {

// The two-operand ops the NPU runs on two quantised tensors (vec.add: Add,
// and Sub with a negated multiplier; vec.mul: Mul).
bool binary_op(const std::string& op) {
  return op == "Add" || op == "Sub" || op == "Mul";
}

// Element-wise ops a table can replace: the set lower_quantized's QLut
// accepts (constants must be scalars).
bool elementwise(const Node& n) {
  static const std::set<std::string> ops = {
      "Relu",      "Clip",      "Sigmoid",  "Tanh", "HardSigmoid",
      "HardSwish", "LeakyRelu", "Elu",      "Selu", "Celu",
      "Mish",      "Softplus",  "Softsign", "Gelu", "ThresholdedRelu",
      "PRelu",     "Exp",       "Log",      "Sqrt", "Reciprocal",
      "Neg",       "Abs",       "Erf",      "Sin",  "Cos",
      "Floor",     "Ceil",      "Round",    "Sign", "Add",
      "Sub",       "Mul",       "Div",      "Pow",  "Min",
      "Max"};
  return n.domain.empty() && ops.count(n.op) && executor_supports(n.op);
}

Role base_role(const Node& n) {
  static const std::map<std::string, Role> roles = {
      {"Conv", Role::kCompute},       {"ConvTranspose", Role::kCompute},
      {"Gemm", Role::kCompute},       {"MatMul", Role::kCompute},
      {"AveragePool", Role::kPool},   {"GlobalAveragePool", Role::kPool},
      {"MaxPool", Role::kSharedPool}, {"GlobalMaxPool", Role::kSharedPool},
      {"Concat", Role::kConcat},      {"Reshape", Role::kMove},
      {"Transpose", Role::kMove},     {"Flatten", Role::kMove},
      {"Squeeze", Role::kMove},       {"Unsqueeze", Role::kMove},
      {"Slice", Role::kMove},         {"Split", Role::kMove},
      {"Gather", Role::kMove},        {"DepthToSpace", Role::kMove},
      {"SpaceToDepth", Role::kMove},  {"Expand", Role::kMove},
      {"Tile", Role::kMove},          {"Identity", Role::kMove}};
  if (!n.domain.empty()) return Role::kFloat;
  if (n.op == "Resize")
    return n.s("mode", "nearest") == "nearest" ? Role::kSharedResize : Role::kResize;
  if (n.op == "Pad") return n.s("mode", "constant") == "constant" ? Role::kMove : Role::kFloat;
  if (n.op == "MaxPool" && n.outputs.size() > 1 && !n.outputs[1].empty()) return Role::kFloat;
  auto it = roles.find(n.op);
  return it == roles.end() ? Role::kFloat : it->second;
}

class RoleBuilder {
 public:
  explicit RoleBuilder(const GraphIndex& ix) : ix_(ix), g_(ix.g) {}

  Roles build() {
    for (;;) {
      r_ = Roles{};
      assigned_.assign(g_.nodes.size(), false);
      for (const auto& n : g_.nodes) r_.role.push_back(base_role(n));
      for (size_t i = 0; i < g_.nodes.size(); ++i)
        if (r_.role[i] == Role::kCompute) fuse_compute_tail(static_cast<int>(i));
      if (find_chains()) break;  // false: new chain boundaries, start over
    }
    for (size_t i = 0; i < g_.nodes.size(); ++i) {
      const Node& n = g_.nodes[i];
      if (!assigned_[i] && elementwise(n) && binary_op(n.op) && two_operands(n))
        r_.role[i] = Role::kBinary;
      if (!assigned_[i] && tensor_slope_prelu(n)) r_.role[i] = Role::kSlopeLut;
    }
    return r_;
  }

 private:
  void assign(int n, Role role) {
    r_.role[n] = role;
    assigned_[n] = true;
  }

  // The node alone reading `v`, if v is not a graph output.
  int sole_consumer(const std::string& v) const {
    const auto& users = ix_.consumers(v);
    return users.size() == 1 && !ix_.is_output(v) ? users[0] : -1;
  }

  bool constant_bounds(const Node& n) const {
    for (size_t i = 1; i < n.inputs.size(); ++i)
      if (!n.inputs[i].empty() && !g_.is_constant(n.inputs[i])) return false;
    return true;
  }

  // Relu or Clip with constant bounds alone reading `v`: fused (v stays float).
  void fuse_activation(const std::string& v) {
    const int a = sole_consumer(v);
    if (a < 0 || assigned_[a]) return;
    const Node& n = g_.nodes[a];
    if (!n.domain.empty() || !(n.op == "Relu" || (n.op == "Clip" && constant_bounds(n)))) return;
    assign(a, Role::kFusedAct);
    r_.interior.insert(v);
  }

  // MatMul's bias Add (a constant of one value per output column), then Relu/Clip.
  void fuse_compute_tail(int c) {
    assigned_[c] = true;
    std::string out = g_.nodes[c].outputs[0];
    const int a = sole_consumer(out);
    if (g_.nodes[c].op == "MatMul" && a >= 0 && g_.nodes[a].op == "Add" && is_bias(a, out)) {
      assign(a, Role::kBiasAdd);
      r_.interior.insert(out);
      out = g_.nodes[a].outputs[0];
    }
    fuse_activation(out);
  }

  bool is_bias(int add, const std::string& x) const {
    const Node& n = g_.nodes[add];
    if (n.inputs.size() != 2 || !n.domain.empty()) return false;
    const std::string& b = n.inputs[0] == x ? n.inputs[1] : n.inputs[0];
    if (!g_.is_constant(b) || g_.value(b).dtype != DType::kFloat32) return false;
    const Shape& s = g_.value(b).shape;
    const Value& xv = g_.value(x);
    const int64_t cols = xv.rank_known && !xv.shape.empty() ? xv.shape.back() : -1;
    const bool row = s.size() == 1 || (s.size() == 2 && s[0] == 1);
    return row && !s.empty() && s.back() == cols;
  }

  bool two_operands(const Node& n) const {
    return n.inputs.size() == 2 && !n.inputs[0].empty() && !n.inputs[1].empty();
  }

  // A PRelu whose slope is a float constant of more than one value (a scalar
  // slope is an ordinary table): one table per slope value (lower_prelu.cpp).
  bool tensor_slope_prelu(const Node& n) const {
    return n.domain.empty() && n.op == "PRelu" && n.inputs.size() == 2 &&
           g_.is_constant(n.inputs[1]) && g_.value(n.inputs[1]).dtype == DType::kFloat32 &&
           !scalar_constant(n.inputs[1]);
  }

  bool scalar_constant(const std::string& v) const {
    return g_.is_constant(v) && g_.value(v).constant->size() == 1;
  }

  bool fits(int n, const std::set<std::string>& values) const {
    if (assigned_[n] || !elementwise(g_.nodes[n])) return false;
    for (const auto& in : g_.nodes[n].inputs)
      if (!in.empty() && !values.count(in) && !scalar_constant(in)) return false;
    return true;
  }

  // The chain of element-wise ops of `x` grown from its consumer `start`
  // (graph order). Values in boundaries_ end it: their readers see a Q/DQ.
  std::vector<int> grow(const std::string& x, int start) const {
    std::set<std::string> values = {x};
    std::set<int> taken;
    if (!fits(start, values)) return {};
    // A node reading two chain values is checked again when the second appears.
    std::vector<int> todo = {start};
    while (!todo.empty()) {
      const int n = todo.back();
      todo.pop_back();
      if (!taken.insert(n).second) continue;
      for (const auto& o : g_.nodes[n].outputs) {
        if (o.empty() || boundaries_.count(o)) continue;
        values.insert(o);
        for (int user : ix_.consumers(o))
          if (!taken.count(user) && fits(user, values)) todo.push_back(user);
      }
    }
    return {taken.begin(), taken.end()};
  }

  // Outputs of the chain read outside it (or graph outputs).
  std::set<std::string> exits(const std::vector<int>& chain) const {
    std::set<std::string> out;
    for (int n : chain)
      for (const auto& o : g_.nodes[n].outputs) {
        if (o.empty()) continue;
        if (ix_.is_output(o) || boundaries_.count(o)) out.insert(o);
        for (int user : ix_.consumers(o))
          if (std::find(chain.begin(), chain.end(), user) == chain.end()) out.insert(o);
      }
    return out;
  }

  // Walks values in graph order, fusing Relu/Clip after binary ops and
  // growing chains. False if a chain had several exits (they become
  // boundaries and the caller starts over).
  bool find_chains() {
    std::vector<std::string> order(g_.inputs.begin(), g_.inputs.end());
    for (const auto& n : g_.nodes)
      for (const auto& o : n.outputs) order.push_back(o);
    for (const std::string& x : order) {
      if (!ix_.is_activation(x)) continue;
      const int p = ix_.producer(x);
      if (p >= 0 && !assigned_[p] && binary_op(g_.nodes[p].op) && g_.nodes[p].domain.empty() &&
          two_operands(g_.nodes[p])) {
        assigned_[p] = true;  // not in a chain: a binary op, its Relu/Clip fuses
        r_.role[p] = Role::kBinary;
        fuse_activation(x);
      }
      for (int start : ix_.consumers(x)) {
        const std::vector<int> chain = grow(x, start);
        if (chain.empty()) continue;
        const std::set<std::string> out = exits(chain);
        if (out.size() > 1) {
          boundaries_.insert(out.begin(), out.end());
          return false;
        }
        for (int n : chain) {
          assign(n, Role::kLut);
          for (const auto& o : g_.nodes[n].outputs)
            if (!out.count(o)) r_.interior.insert(o);
        }
      }
    }
    return true;
  }

  const GraphIndex& ix_;
  const Graph& g_;
  Roles r_;
  std::vector<bool> assigned_;
  std::set<std::string> boundaries_;
};

}  // namespace

const char* role_name(Role r) {
  static const char* names[] = {
      "float",  "compute", "binary",           "lut",  "pool",     "pool", "resize", "resize",
      "concat", "move",    "fused-activation", "bias", "slope-lut"};
  return names[static_cast<int>(r)];
}

Roles assign_roles(const GraphIndex& ix) {
  return RoleBuilder(ix).build();
}

}  // namespace npusim::compiler::quant
