// Internal to lower_quantized: matching QDQ patterns and rewriting them into
// npusim-domain nodes (npu_ops.hpp). One matcher per op family, each in its
// own lower_*.cpp or op file (src/npu_ops/<name>.cpp), registered for its
// ONNX op types (npu_op_table.hpp); lower_quantized.cpp drives them.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "npusim/compiler/graph.hpp"
#include "npusim/compiler/npu_op_attrs.hpp"

namespace npusim::compiler::lowering {

// Scale(s) and zero point(s) of a (De)QuantizeLinear or QLinear* operand pair.
struct Quant {
  std::vector<float> scales;
  std::vector<int32_t> zero_points;
  bool is_signed = true;
};

std::optional<Quant> quant_from(const Graph& g, const std::string& scale, const std::string& zp,
                                DType q_type);
bool per_tensor(const Quant& q);
bool same_quant(const Quant& a, const Quant& b);  // per tensor, equal scale, zero point, type

// The zero point of ConvInteger / MatMulInteger input i (0 when left out), if
// it is a constant whose values are all equal.
std::optional<int32_t> integer_zero_point(const Graph& g, const Node& n, size_t i);

// Input i of n, or "" when it is left out.
std::string opt_in(const Node& n, size_t i);

// The value of constant `name` if it holds exactly one (a Clip bound, a
// scalar); nothing for a non-constant or a tensor of another size, which is
// then not read past its end (found by fuzz_onnx).
std::optional<double> single_value(const Graph& g, const std::string& name);

// v as an int32 if it is an integer in int32's range (a zero point or a
// bound read from a tensor of any type; converting others is undefined).
std::optional<int32_t> exact_int32(double v);
// The producer of `v` if it is `op` (default domain), else nullptr.
const Node* producer_node(const Graph& g, const std::string& v, const char* op);
// The single consumer of `v`, if it is `op`, nothing else reads `v` and it is
// not a graph output.
const Node* sole_consumer(const Graph& g, const std::string& v, const char* op);

// A float value that is DequantizeLinear(q) with constant per-tensor parameters.
struct QIn {
  std::string q;  // the quantised value
  Quant quant;
  const Node* dq = nullptr;
};
std::optional<QIn> dequantized(const Graph& g, const std::string& v);

// The QuantizeLinear that alone consumes float value `v`, per tensor.
struct QOut {
  std::string y;  // the quantised output
  Quant quant;
  const Node* q = nullptr;
};
std::optional<QOut> quantized_by(const Graph& g, const std::string& v);

// Clamp bounds of a Relu / Clip in the output's integer domain.
struct Activation {
  int32_t lo = -32768, hi = 32767;
  std::string output;  // the activation's output (feeds the QuantizeLinear)
};
std::optional<Activation> fused_activation(const Graph& g, const Node& act, const Quant& y);

// Table of the requantisation in -> out: table[(uint8) q] = Q_out(DQ_in(q)),
// with ONNX's float QuantizeLinear / DequantizeLinear.
std::vector<int64_t> requant_table(const Quant& in, const Quant& out);
// The identity on bytes (the same quantisation, or a table that changes nothing).
std::vector<int64_t> identity_table();

// The pads (begins, then ends) of a Conv, ConvTranspose's input side or a
// pooling node with auto_pad resolved against x's spatial dims and the
// kernel's (ONNX: SAME_UPPER puts the odd pad at the end, SAME_LOWER at the
// start); empty if auto_pad is NOTSET. `why` says when it cannot be.
std::vector<int64_t> resolved_pads(const Graph& g, const Node& n, const std::string& x,
                                   const Shape& kernel, std::string& why);
// The spatial dims of an OIHW (or IOHW) weight shape.
Shape kernel_dims(const Shape& w);

// Zero point, signedness and other per-tensor attributes of a quantised output.
void set_output_attrs(Node& n, const Quant& y);

using Notes = std::map<std::string, std::string>;  // Node::describe() -> result

// A recognised pattern: `node` takes the place of the anchor node in the node
// list; the absorbed nodes are removed; `constants` are added. Nodes are
// named by their first output (node names may be empty or repeat).
// `before` are nodes placed just ahead of `node` (their outputs in `values`).
struct Rewrite {
  Node node;
  std::string anchor;
  std::vector<std::string> absorbed;
  std::vector<std::pair<std::string, Tensor>> constants;
  std::vector<Node> before;
  std::vector<Value> values;
};

// A lowering rule: the rewrite of node n, or nothing with notes[n.describe()]
// saying why. An op file registers it for the ONNX op types it takes
// (NpuOpTable::add_lowering).
using Matcher = std::optional<Rewrite> (*)(const Graph& g, const Node& n, Notes& notes);

// A node of domain npusim named after `original` (or its first output).
Node npu_node(const std::string& op, const Node& original);

// A one-input op n (pooling, resizing) between a per-tensor DequantizeLinear
// and the QuantizeLinear that alone reads its output: the rewrite into the
// npusim op `op` (codes in, codes out, output quantisation set), with x's and
// y's quantisation. Nothing, with `why`, when n does not sit between them.
struct UnaryQdq {
  Rewrite rewrite;
  Quant x, y;
};
std::optional<UnaryQdq> unary_qdq_rewrite(const Graph& g, const Node& n, const std::string& op,
                                          std::string& why);

// The conv family's pieces, shared by Gemm/MatMul lowered as 1x1 convolutions.
struct ConvMatch {
  const Node* conv;  // strides, dilations, pads, group (absent: 1, 1, 0, 1)
  std::string x, y;  // quantised input and output
  Quant xq, wq, yq;
  std::string w;               // int8 const weights
  Shape w_shape;               // OIHW
  std::optional<Tensor> bias;  // int32 (already in x_scale*w_scale units)
  Activation act;
  std::vector<std::string> replaced;  // first outputs of the nodes the QConv absorbs
  std::vector<int64_t> pads;          // begins then ends, auto_pad resolved (empty: conv's pads)
};
Rewrite conv_rewrite(const ConvMatch& m);
// DequantizeLinear -> Conv | ConvTranspose [-> Relu|Clip] -> QuantizeLinear
// (weights, bias and activation as for a convolution), or nothing with `why`.
std::optional<ConvMatch> match_qdq_conv(const Graph& g, const Node& conv, std::string& why);
// Bias in accumulator units (x_scale * w_scale[oc]), from a float constant or
// a DequantizeLinear of int32 (re-scaled if its scale differs), times
// `factor` (Gemm's beta); one stored value serves every channel.
std::optional<Tensor> accumulator_bias(const Graph& g, const std::string& b, const Quant& xq,
                                       const Quant& wq, int64_t oc, std::string& why,
                                       double factor = 1.0);

// Family matchers: a Rewrite, or nothing with notes[n.describe()] saying why.
std::optional<Rewrite> match_conv(const Graph& g, const Node& n, Notes& notes);
std::optional<Rewrite> match_binary(const Graph& g, const Node& n, Notes& notes);  // Add, Mul
std::optional<Rewrite> match_lut(const Graph& g, const Node& dq, Notes& notes);    // from a DQ
std::optional<Rewrite> match_integer_clip(const Graph& g, const Node& n, Notes& notes);
std::optional<Rewrite> match_pool(const Graph& g, const Node& n, Notes& notes);
std::optional<Rewrite> match_concat(const Graph& g, const Node& n, Notes& notes);
std::optional<Rewrite> match_split(const Graph& g, const Node& n, Notes& notes);
std::optional<Rewrite> match_resize(const Graph& g, const Node& n, Notes& notes);
std::optional<Rewrite> match_pad(const Graph& g, const Node& n, Notes& notes);
std::optional<Rewrite> match_prelu(const Graph& g, const Node& n, Notes& notes);  // tensor slope
std::optional<Rewrite> match_conv_transpose(const Graph& g, const Node& n, Notes& notes);
// Slice, Transpose, Reshape, Flatten, Squeeze, Unsqueeze
std::optional<Rewrite> match_permute(const Graph& g, const Node& n, Notes& notes);
std::optional<Rewrite> match_gemm(const Graph& g, const Node& n, Notes& notes);  // Gemm, MatMul
std::optional<Rewrite> match_qlinear_matmul(const Graph& g, const Node& n, Notes& notes);
std::optional<Rewrite> match_matmul_integer(const Graph& g, const Node& n, Notes& notes);

}  // namespace npusim::compiler::lowering
