// The compiler pipeline (compile.hpp): lowering, partitioning into NPU and
// CPU segments, NPU code generation, and the program container.
#include "npusim/compiler/compile.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <set>

#include "codegen/npu_segment.hpp"
#include "codegen/streams.hpp"
#include "npusim/common/limits.hpp"
#include "npusim/compiler/executor.hpp"
#include "npusim/compiler/npu_ops.hpp"
#include "npusim/compiler/onnx_io.hpp"
#include "npusim/isa/verifier.hpp"

namespace npusim::compiler {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

// Per node: "" if it runs on the NPU, else why it stays on the CPU.
using Placements = std::vector<std::string>;

struct Segment {
  bool npu = false;
  std::vector<int> nodes;
  std::vector<std::string> inputs, outputs;
};

// A topological order that stays on one unit while it can: nodes become
// ready in graph order, and the unit switches only when none of its nodes is
// ready. A dequantised side output no longer splits the NPU run in two (the
// runtime runs one NPU segment).
std::vector<int> grouped_order(const Graph& g, const Placements& why) {
  const size_t n = g.nodes.size();
  std::vector<int> pending(n, 0), order;
  std::vector<std::vector<int>> users(n);
  for (size_t i = 0; i < n; ++i)
    for (const auto& in : g.nodes[i].inputs)
      if (const int p = in.empty() ? -1 : g.producer(in); p >= 0) {
        ++pending[i];
        users[p].push_back(static_cast<int>(i));
      }
  std::set<int> ready[2];  // [npu]
  for (size_t i = 0; i < n; ++i)
    if (pending[i] == 0) ready[why[i].empty()].insert(static_cast<int>(i));
  bool npu = n > 0 && why[0].empty();
  while (order.size() < n) {
    if (ready[npu].empty()) npu = !npu;
    const int next = *ready[npu].begin();
    ready[npu].erase(ready[npu].begin());
    order.push_back(next);
    for (const int u : users[next])
      if (--pending[u] == 0) ready[why[u].empty()].insert(u);
  }
  return order;
}

// Maximal runs of nodes with the same unit, in a topological order.
std::vector<Segment> partition(const Graph& g, const Placements& why) {
  std::vector<Segment> segs;
  for (const int i : grouped_order(g, why)) {
    const bool npu = why[i].empty();
    if (segs.empty() || segs.back().npu != npu) segs.push_back({npu, {}, {}, {}});
    segs.back().nodes.push_back(i);
  }
  // Boundary values: consumed but not produced inside / produced and needed outside.
  for (size_t k = 0; k < segs.size(); ++k) {
    std::set<std::string> produced, inside;
    for (int n : segs[k].nodes)
      for (const auto& o : g.nodes[n].outputs) produced.insert(o);
    std::set<std::string> seen;
    for (int n : segs[k].nodes)
      for (const auto& in : g.nodes[n].inputs)
        if (!in.empty() && !produced.count(in) && !g.is_constant(in) && seen.insert(in).second)
          segs[k].inputs.push_back(in);
    for (int n : segs[k].nodes)
      for (const auto& o : g.nodes[n].outputs) {
        bool needed = std::find(g.outputs.begin(), g.outputs.end(), o) != g.outputs.end();
        for (int c : g.consumers(o))
          needed = needed ||
                   std::find(segs[k].nodes.begin(), segs[k].nodes.end(), c) == segs[k].nodes.end();
        if (needed) segs[k].outputs.push_back(o);
      }
  }
  return segs;
}

// A CPU segment as an ONNX subgraph with the constants it uses.
isa::CpuSegment cpu_segment(const Graph& g, const Segment& s, const std::string& name,
                            const Placements& why) {
  Graph sub;
  sub.name = name;
  sub.opset = g.opset;
  sub.inputs = s.inputs;
  sub.outputs = s.outputs;
  for (int n : s.nodes) {
    sub.nodes.push_back(g.nodes[n]);
    for (const auto& v : g.nodes[n].inputs)
      if (!v.empty()) sub.values[v] = g.value(v);
    for (const auto& v : g.nodes[n].outputs) sub.values[v] = g.value(v);
  }
  isa::CpuSegment c;
  c.name = name;
  const std::string bytes = export_onnx_bytes(sub);
  c.onnx.assign(bytes.begin(), bytes.end());
  c.inputs = s.inputs;
  c.outputs = s.outputs;
  for (int n : s.nodes) {
    const Node& node = g.nodes[n];
    c.layers.push_back({node.name.empty() ? node.outputs.front() : node.name, node.op, why[n], {}});
  }
  return c;
}

isa::TensorInfo graph_tensor(const Graph& g, const std::string& name, int loop) {
  const Value& v = g.value(name);
  isa::TensorInfo t;
  t.name = name;
  t.shape = codegen::batched_shape(name, v.shape, loop);
  t.dtype = std::string(dtype_name(v.dtype));
  t.layout = g.value(name).layout.empty() ? (v.shape.size() == 4 ? "NCHW" : "") : v.layout;
  return t;
}

std::string cpu_reason(const Node& n, const std::map<std::string, std::string>& notes) {
  auto it = notes.find(n.describe());
  if (it != notes.end() && !it->second.empty()) return it->second;
  if (n.op == "QuantizeLinear" || n.op == "DequantizeLinear")
    return "quantise/dequantise at the float boundary runs on the host";
  return "op " + n.op + " has no NPU code generation yet";
}

// Lowered (npusim) nodes run on the NPU unless code generation refuses their
// attributes, shapes or SRAM needs; they then run on the CPU's golden model.
Placements place_nodes(const Graph& g, const isa::HwParams& hw,
                       const std::map<std::string, std::string>& notes) {
  Placements why;
  for (const auto& n : g.nodes)
    why.push_back(n.domain == kNpuDomain ? codegen::npu_unsupported(g, n, hw)
                                         : cpu_reason(n, notes));
  return why;
}

// Makes `outputs` the graph's outputs and drops what they do not need.
void cut(Graph& g, const std::vector<std::string>& outputs) {
  for (const auto& o : outputs)
    if (!g.has_value(o) || (g.producer(o) < 0 && !g.is_constant(o)))
      throw CompileError("--outputs names \"" + o + "\", which no node of the model produces");
  g.outputs = outputs;
  g.prune();
}

// What code generation relies on, checked before it runs: enough
// semaphores for the schedule, a graph with nodes and outputs, every node
// an op npusim can run, every shape known and within docs/limits.md.
void check_hardware(const isa::HwParams& hw) {
  if (hw.num_semaphores < codegen::kSemaphoresUsed)
    throw CompileError("num_semaphores=" + std::to_string(hw.num_semaphores) +
                       " is too few: the compiler's layer schedule uses " +
                       std::to_string(codegen::kSemaphoresUsed) +
                       " semaphores per PE (set num_semaphores to at least that)");
}

// A Conv's weights must match its input's channels (W is [M, C/group, k...];
// ConvTranspose's [C, M/group, k...]): code generation would read past them.
void check_conv_channels(const Graph& g, const Node& n) {
  const int w_index = n.op == "QLinearConv" ? 3 : 1;
  const bool transpose = n.op == "ConvTranspose";
  if (n.op != "Conv" && n.op != "ConvInteger" && n.op != "QLinearConv" && !transpose) return;
  if (int(n.inputs.size()) <= w_index) return;
  const Value& x = g.value(n.inputs[0]);
  const Value& w = g.value(n.inputs[w_index]);
  if (!x.rank_known || !w.rank_known || x.shape.size() < 2 || w.shape.size() < 2) return;
  const auto group_attr = n.attrs.find("group");
  const int64_t* group_value =
      group_attr == n.attrs.end() ? nullptr : std::get_if<int64_t>(&group_attr->second);
  const int64_t group = group_value ? *group_value : 1;
  const int64_t channels = x.shape[1];
  const int64_t expected = transpose ? w.shape[0] : w.shape[1] * group;
  if (channels != expected)
    throw CompileError("node " + n.describe() + ": weights \"" + n.inputs[w_index] +
                       "\" of shape " + shape_string(w.shape) + " (group " + std::to_string(group) +
                       ") expect " + std::to_string(expected) + " input channels, but input \"" +
                       n.inputs[0] + "\" of shape " + shape_string(x.shape) + " has " +
                       std::to_string(channels));
}

// The constant scales of a quantising op are finite and not negative: the
// fixed-point multipliers and the reference executor divide by them.
void check_quant_scales(const Graph& g, const Node& n) {
  static const std::map<std::string, std::vector<size_t>> kScaleInputs = {
      {"QuantizeLinear", {1}},
      {"DequantizeLinear", {1}},
      {"QLinearConv", {1, 4, 6}},
      {"QLinearMatMul", {1, 4, 6}}};
  const auto it = n.domain.empty() ? kScaleInputs.find(n.op) : kScaleInputs.end();
  if (it == kScaleInputs.end()) return;
  for (const size_t i : it->second) {
    if (i >= n.inputs.size() || !g.is_constant(n.inputs[i])) continue;
    const Tensor& scale = *g.value(n.inputs[i]).constant;
    if (scale.dtype() != DType::kFloat32) continue;
    for (int64_t k = 0; k < scale.size(); ++k) {
      const double v = scale.at(k);
      if (!std::isfinite(v) || v < 0)
        throw CompileError("node " + n.describe() + ": scale \"" + n.inputs[i] + "\" holds " +
                           std::to_string(v) + " at index " + std::to_string(k) +
                           "; a quantisation scale must be finite and not negative");
    }
  }
}

// Every node is an op the NPU code generation or the CPU executor runs
// (an op of an unknown domain would reach code generation with no shapes).
void check_ops(const Graph& g) {
  for (const Node& n : g.nodes) {
    check_quant_scales(g, n);
    if (n.domain != kNpuDomain && !executor_supports(n.op, n.domain))
      throw CompileError(
          "node " + n.describe() + ": op " + (n.domain.empty() ? "" : n.domain + ".") + n.op +
          " is not an op npusim knows (no NPU code generation and no CPU implementation)");
    check_conv_channels(g, n);
  }
}

// Every node's outputs have known shapes, and every shape is within the
// limits, alone and together (docs/limits.md), before anything is sized by them.
void check_shapes(const Graph& g) {
  for (const Node& n : g.nodes)
    for (const auto& o : n.outputs)
      if (!o.empty() && !g.value(o).rank_known)
        throw CompileError("node " + n.describe() + ": the shape of its output \"" + o +
                           "\" is unknown (ONNX shape inference could not follow the graph): "
                           "fix the model's input shapes with --input-shape");
  uint64_t total = 0;
  for (const auto& [name, v] : g.values) {
    if (!v.rank_known) continue;
    const uint64_t element = std::max<size_t>(1, dtype_size(v.dtype));
    try {
      total += limits::checked_elements(v.shape, element, "tensor \"" + name + "\"") * element;
    } catch (const limits::LimitError& e) {
      throw CompileError(e.what());
    }
  }
  if (total > limits::kMaxGraphBytes)
    throw CompileError("the model's tensors need " + std::to_string(total) +
                       " bytes in all, more than the " + std::to_string(limits::kMaxGraphBytes) +
                       " allowed (docs/limits.md)");
}

void check_graph(const Graph& g) {
  if (g.nodes.empty()) throw CompileError("the model has no nodes: nothing to compile");
  if (g.outputs.empty()) throw CompileError("the model has no outputs: nothing to compile");
  for (const auto& in : g.inputs)
    if (!g.value(in).rank_known)
      throw CompileError("input \"" + in + "\" has a dynamic shape: give it with --input-shape " +
                         in + "=1x3xHxW");
  check_ops(g);
  check_shapes(g);
}

// The instruction count is bounded by the shapes above; checked here too so
// a schedule that explodes is an error rather than a giant program.
void check_instruction_count(const isa::Program& p) {
  uint64_t words = 0;
  for (const auto& seg : p.segments)
    if (const auto* npu = std::get_if<isa::NpuSegment>(&seg))
      for (const auto& slot : npu->streams)
        for (const auto& stream : slot) words += stream.size();
  if (words > limits::kMaxInstructions)
    throw CompileError("the program has " + std::to_string(words) +
                       " instruction words, more than the " +
                       std::to_string(limits::kMaxInstructions) + " allowed (docs/limits.md)");
}

// How many times the NPU code loops over images for CompileOptions::batch:
// `batch` for a graph of one image, 1 for a graph already of `batch` images.
// Anything else is refused, naming the input.
int image_loop(const Graph& g, int batch) {
  if (batch < 1 || batch > limits::kMaxBatch)
    throw CompileError("batch " + std::to_string(batch) + " is out of range: it must be 1 ... " +
                       std::to_string(limits::kMaxBatch) + " (docs/limits.md)");
  if (batch == 1) return 1;
  bool one = true, native = true;
  for (const auto& in : g.inputs) {
    const Shape& s = g.value(in).shape;
    if (s.empty())
      throw CompileError("input \"" + in + "\" is a scalar: it has no batch dim for --batch " +
                         std::to_string(batch));
    one = one && s[0] == 1;
    native = native && s[0] == batch;
  }
  if (one) return batch;
  if (native) return 1;
  for (const auto& in : g.inputs) {
    const Shape& s = g.value(in).shape;
    if (s[0] != 1 && s[0] != batch)
      throw CompileError("input \"" + in + "\" has a fixed batch of " + std::to_string(s[0]) +
                         " (shape " + shape_string(s) + "): it cannot be compiled for --batch " +
                         std::to_string(batch) + " (use --batch " + std::to_string(s[0]) +
                         ", or export the model with a batch of 1 or a dynamic batch)");
  }
  throw CompileError("the inputs' batch dims differ (some 1, some " + std::to_string(batch) +
                     "): --batch " + std::to_string(batch) + " needs them all 1 or all " +
                     std::to_string(batch));
}

}  // namespace

CompileResult compile(Graph g, const CompileOptions& options) {
  CompileResult r;
  auto t = Clock::now();
  if (g.nodes.empty()) throw CompileError("the model has no nodes: nothing to compile");
  if (is_float_only(g))
    throw CompileError(
        "the model has no quantised ops (float only): quantise it first with "
        "`npusim quantize MODEL -o MODEL.int8.onnx`");
  check_hardware(options.hw);
  if (!options.outputs.empty()) cut(g, options.outputs);
  check_graph(g);
  const int loop = image_loop(g, options.batch);
  r.batch = options.batch;
  std::map<std::string, std::string> notes;
  for (const auto& n : lower_quantized(g)) notes[n.node] = n.result;
  r.stages.push_back({"lower quantised ops", ms_since(t)});

  t = Clock::now();
  const Placements why = place_nodes(g, options.hw, notes);
  const std::vector<Segment> segs = partition(g, why);
  for (size_t i = 0; i < g.nodes.size(); ++i)
    r.placement.push_back({g.nodes[i].describe(), why[i].empty() ? "NPU" : "CPU", why[i]});
  r.stages.push_back({"partition", ms_since(t)});

  t = Clock::now();
  isa::Program& p = r.program;
  p.mode = options.target;
  p.batch = options.batch;
  p.hw = options.hw;
  for (const auto& in : g.inputs) p.inputs.push_back(graph_tensor(g, in, loop));
  for (const auto& out : g.outputs) p.outputs.push_back(graph_tensor(g, out, loop));
  int npu_count = 0, cpu_count = 0;
  codegen::IoLayout io;
  for (const Segment& s : segs) {
    if (!s.npu) {
      p.segments.push_back(cpu_segment(g, s, "cpu" + std::to_string(cpu_count++), why));
      continue;
    }
    auto built = codegen::build_npu_segment(g, s.nodes, s.inputs, s.outputs,
                                            "npu" + std::to_string(npu_count++), options.hw,
                                            options.target, io, loop);
    r.sram_peak = std::max(r.sram_peak, built.sram_peak);
    r.dram_weights += built.segment.weights.size();
    r.dram_activations += built.segment.scratch_bytes + built.segment.io_bytes;
    for (const LayerPlan& l : built.layers) r.dram_traffic += l.dram_bytes;
    r.layers.insert(r.layers.end(), built.layers.begin(), built.layers.end());
    p.tensors.insert(p.tensors.end(), built.tensors.begin(), built.tensors.end());
    p.segments.push_back(std::move(built.segment));
  }
  r.stages.push_back({"code generation", ms_since(t)});
  check_instruction_count(p);

  t = Clock::now();
  const auto problems = isa::verify(p, options.hw);
  if (!problems.empty())
    throw CompileError("internal error: the generated program fails verification: " +
                       problems.front().to_string());
  r.stages.push_back({"verify", ms_since(t)});
  r.graph = std::move(g);
  return r;
}

}  // namespace npusim::compiler
