// Folds a per-channel affine op after a convolution into its weights and
// bias: y = a[c] * conv(x) + b[c]. Exported models carry BatchNormalization
// (PP-OCR cls) and scalar "learnable affine" Mul/Add pairs (PP-OCRv4 det);
// quantising them separately would add a rounding step and a float op.
#include <cmath>
#include <map>
#include <optional>
#include <set>

#include "passes.hpp"

namespace npusim::compiler::quant {
namespace {

struct Affine {
  std::vector<double> a, b;  // per output channel
};

// The C values of a constant that varies along axis 1 only of a rank-`rank`
// output (scalar, [C,1,1], [1,C,1,1], ...).
std::optional<std::vector<double>> per_channel(const Tensor& t, size_t rank, int64_t channels) {
  const Shape& s = t.shape();
  if (s.size() > rank || t.dtype() != DType::kFloat32) return std::nullopt;
  const size_t pad = rank - s.size();
  for (size_t d = 0; d < s.size(); ++d)
    if (s[d] != 1 && !(d + pad == 1 && s[d] == channels)) return std::nullopt;
  std::vector<double> v(static_cast<size_t>(channels));
  for (int64_t c = 0; c < channels; ++c) v[c] = t.at(t.size() == 1 ? 0 : c);
  return v;
}

std::optional<Affine> batch_norm(const Graph& g, const Node& n, int64_t channels) {
  if (n.inputs.size() < 5 || (n.outputs.size() > 1 && !n.outputs[1].empty())) return std::nullopt;
  std::vector<std::vector<double>> p;
  for (size_t i = 1; i < 5; ++i) {  // scale, B, mean, var: [C]
    if (!g.is_constant(n.inputs[i])) return std::nullopt;
    const Tensor& t = *g.value(n.inputs[i]).constant;
    if (t.dtype() != DType::kFloat32 || t.size() != channels) return std::nullopt;
    std::vector<double> v(static_cast<size_t>(channels));
    for (int64_t c = 0; c < channels; ++c) v[c] = t.at(c);
    p.push_back(std::move(v));
  }
  Affine f{std::vector<double>(channels), std::vector<double>(channels)};
  const double eps = n.f("epsilon", 1e-5f);
  for (int64_t c = 0; c < channels; ++c) {
    f.a[c] = p[0][c] / std::sqrt(p[3][c] + eps);  // gamma / sqrt(var + eps)
    f.b[c] = p[1][c] - f.a[c] * p[2][c];          // beta - a * mean
  }
  return f;
}

// Mul / Add / Sub / Div of the convolution's output `x` and a constant.
std::optional<Affine> arithmetic(const Graph& g, const Node& n, const std::string& x, size_t rank,
                                 int64_t channels) {
  if (n.inputs.size() != 2) return std::nullopt;
  const bool x_first = n.inputs[0] == x;
  const std::string& c = n.inputs[x_first ? 1 : 0];
  if (!g.is_constant(c) || n.inputs[0] == n.inputs[1]) return std::nullopt;
  auto v = per_channel(*g.value(c).constant, rank, channels);
  if (!v) return std::nullopt;
  if ((n.op == "Sub" || n.op == "Div") && !x_first) return std::nullopt;  // c - x, c / x
  Affine f{std::vector<double>(channels, 1.0), std::vector<double>(channels, 0.0)};
  for (int64_t i = 0; i < channels; ++i) {
    const double c_i = (*v)[i];
    if (n.op == "Div" && c_i == 0) return std::nullopt;
    if (n.op == "Mul") f.a[i] = c_i;
    if (n.op == "Div") f.a[i] = 1.0 / c_i;
    if (n.op == "Add") f.b[i] = c_i;
    if (n.op == "Sub") f.b[i] = -c_i;
  }
  return f;
}

// The convolution producing `x` if only `user` reads it and its weights and
// bias are constant floats.
const Node* foldable_conv(const Graph& g, const std::string& x) {
  const int p = g.producer(x);
  if (p < 0 || g.consumers(x).size() != 1) return nullptr;
  for (const auto& o : g.outputs)
    if (o == x) return nullptr;
  const Node& c = g.nodes[p];
  const bool conv = c.op == "Conv" || (c.op == "ConvTranspose" && c.i("group", 1) == 1);
  if (!c.domain.empty() || !conv || c.inputs.size() < 2 || !g.is_constant(c.inputs[1]))
    return nullptr;
  if (g.value(c.inputs[1]).dtype != DType::kFloat32) return nullptr;
  if (c.inputs.size() > 2 && !c.inputs[2].empty() && !g.is_constant(c.inputs[2])) return nullptr;
  return &c;
}

// New weights and bias for conv followed by f; the node reads fresh
// constants (the originals may be shared with other nodes).
void apply(Graph& g, Node& conv, const Affine& f) {
  Tensor w = *g.value(conv.inputs[1]).constant;
  const Shape& s = w.shape();
  const bool transposed = conv.op == "ConvTranspose";
  const int64_t oc = transposed ? s[1] : s[0];
  const int64_t inner = element_count(Shape(s.begin() + 2, s.end()));
  auto wv = w.as<float>();
  for (int64_t i = 0; i < w.size(); ++i) {
    const int64_t c = transposed ? (i / inner) % oc : i / (w.size() / oc);
    wv[i] = static_cast<float>(wv[i] * f.a[c]);
  }
  std::vector<float> bias(oc, 0.0f);
  if (conv.inputs.size() > 2 && !conv.inputs[2].empty())
    for (int64_t c = 0; c < oc; ++c)
      bias[c] = static_cast<float>(g.value(conv.inputs[2]).constant->at(c));
  for (int64_t c = 0; c < oc; ++c) bias[c] = static_cast<float>(f.a[c] * bias[c] + f.b[c]);
  const std::string wn = unique_name(g, conv.inputs[1] + "_folded");
  g.set_constant(wn, std::move(w));
  const std::string bn = unique_name(
      g, (conv.inputs.size() > 2 && !conv.inputs[2].empty() ? conv.inputs[2]
                                                            : conv.outputs[0] + "_bias") +
             "_folded");
  g.set_constant(bn, Tensor::from(DType::kFloat32, {oc}, bias));
  conv.inputs.resize(3);
  conv.inputs[1] = wn;
  conv.inputs[2] = bn;
}

// Folds one affine node into its convolution; false if `n` is not one.
bool fold_one(Graph& g, size_t index) {
  const Node n = g.nodes[index];
  static const std::set<std::string> ops = {"BatchNormalization", "Mul", "Add", "Sub", "Div"};
  if (!n.domain.empty() || !ops.count(n.op) || n.inputs.empty()) return false;
  for (const std::string& x : n.inputs) {
    const Node* c = x.empty() ? nullptr : foldable_conv(g, x);
    if (!c || (n.op == "BatchNormalization" && x != n.inputs[0])) continue;
    const Shape& ws = g.value(c->inputs[1]).shape;
    const int64_t channels = c->op == "ConvTranspose" ? ws.at(1) : ws.at(0);
    const auto f = n.op == "BatchNormalization" ? batch_norm(g, n, channels)
                                                : arithmetic(g, n, x, ws.size(), channels);
    if (!f) return false;
    Node& conv = g.nodes[static_cast<size_t>(g.producer(x))];
    apply(g, conv, *f);
    g.nodes.erase(g.nodes.begin() + static_cast<std::ptrdiff_t>(index));
    g.values.erase(n.outputs[0]);
    rename_value(g, x, n.outputs[0]);
    return true;
  }
  return false;
}

}  // namespace

std::map<std::string, int> fold_affine(Graph& g) {
  std::map<std::string, int> folded;
  for (size_t i = 0; i < g.nodes.size();) {
    const std::string op = g.nodes[i].op;
    // On success node i is gone and the next one moved into its place.
    if (fold_one(g, i))
      ++folded[op];
    else
      ++i;
  }
  return folded;
}

}  // namespace npusim::compiler::quant
