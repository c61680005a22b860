// The conformance cases and their preparation (conformance.hpp).
#include "conformance/conformance.hpp"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include <unistd.h>

#include "common/onnx_testdata.hpp"
#include "common/read_file.hpp"
#include "compiler/onnx_cases.hpp"
#include "npusim/compiler/onnx_io.hpp"
#include "npusim/compiler/quantizer.hpp"

namespace npusim::conformance {
namespace {

namespace fs = std::filesystem;
using npusim::testing::read_file;

// The ops of the conformance list (issue "Compiler backend").
const std::set<std::string>& float_ops() {
  static const std::set<std::string> ops = {"Conv",         "ConvTranspose",
                                            "Gemm",         "MatMul",
                                            "Add",          "Sub",
                                            "Mul",          "Concat",
                                            "Split",        "Slice",
                                            "Relu",         "LeakyRelu",
                                            "PRelu",        "Clip",
                                            "Sigmoid",      "HardSigmoid",
                                            "HardSwish",    "Tanh",
                                            "MaxPool",      "AveragePool",
                                            "Resize",       "Transpose",
                                            "Reshape",      "Flatten",
                                            "Pad",          "GlobalAveragePool",
                                            "DepthToSpace", "SpaceToDepth"};
  return ops;
}

const std::set<std::string>& quantised_ops() {
  static const std::set<std::string> ops = {"QLinearConv",   "QLinearMatMul",  "ConvInteger",
                                            "MatMulInteger", "QuantizeLinear", "DequantizeLinear"};
  return ops;
}

// Ops whose every input is data (the others read parameters after input 0).
bool all_inputs_data(const std::string& op) {
  return op == "Add" || op == "Sub" || op == "Mul" || op == "Concat";
}

// The form of a listed op that is not in the list, or "".
std::string out_of_scope_form(const onnx::ModelProto& m) {
  for (const auto& n : m.graph().node())
    if (n.op_type() == "Resize")
      for (const auto& a : n.attribute())
        if (a.name() == "mode" && a.s() == "cubic")
          return "Resize mode=cubic (the list has nearest and linear)";
  return "";
}

// A case from its directory, if all of its ops are listed (else nullopt);
// `skip` as the executor's case scan gives it (dtype reasons).
std::optional<Case> make_case(const std::string& dir, const std::string& skip,
                              std::vector<std::string>& excluded) {
  onnx::ModelProto m;
  if (!m.ParseFromString(read_file(dir + "/model.onnx"))) return std::nullopt;
  Case c;
  c.dir = dir;
  c.name = fs::path(dir).filename().string();
  c.skip = skip;
  for (const auto& n : m.graph().node()) {
    if (n.op_type() == "Constant") continue;  // a constant operand, not an op
    const bool q = quantised_ops().count(n.op_type()) > 0;
    if (!(n.domain().empty() || n.domain() == "ai.onnx") || !(q || float_ops().count(n.op_type())))
      return std::nullopt;
    c.quantised = c.quantised || q;
    if (std::find(c.ops.begin(), c.ops.end(), n.op_type()) == c.ops.end())
      c.ops.push_back(n.op_type());
  }
  if (c.ops.empty()) return std::nullopt;
  if (const std::string why = out_of_scope_form(m); !why.empty()) {
    excluded.push_back(c.name + ": " + why);
    return std::nullopt;
  }
  return c;
}

struct Scan {
  std::map<std::string, Case> cases;
  std::vector<std::string> excluded;
};

Scan scan() {
  Scan s;
  // node/: the executor's scan (cached beside the binary) already has every
  // case whose ops it runs (all listed ops) with its dtype reasons.
  for (const auto& [name, nc] : compiler::testing::supported_node_cases()) {
    bool listed = true;
    for (const auto& op : nc.ops)
      listed = listed && (op == "Constant" || float_ops().count(op) || quantised_ops().count(op));
    if (!listed) continue;
    if (auto c = make_case(nc.dir, nc.skip, s.excluded)) s.cases.emplace(c->name, std::move(*c));
  }
  // The grouped and depthwise convolutions of the PyTorch-converted set.
  const std::string torch = npusim::testing::testdata_root() + "/pytorch-converted";
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(torch, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("test_Conv2d_depthwise", 0) != 0 && name.rfind("test_Conv2d_groups", 0) != 0)
      continue;
    if (auto c = make_case(e.path().string(), "", s.excluded)) s.cases.emplace(name, std::move(*c));
  }
  std::sort(s.excluded.begin(), s.excluded.end());
  return s;
}

const Scan& scanned() {
  static const Scan s = scan();
  return s;
}

// Inputs that a node reads as data (activations); the rest are parameters.
std::set<std::string> activation_inputs(const Graph& g) {
  const std::set<std::string> inputs(g.inputs.begin(), g.inputs.end());
  std::set<std::string> data;
  for (const auto& n : g.nodes)
    for (size_t k = 0; k < n.inputs.size(); ++k)
      if (inputs.count(n.inputs[k]) && (k == 0 || all_inputs_data(n.op))) data.insert(n.inputs[k]);
  return data;
}

// The quantisation step of a graph output: the scale of the
// DequantizeLinear producing it (the largest, if per channel), or 0.
double output_step(const Graph& g, const std::string& output) {
  const int p = g.producer(output);
  if (p < 0) return 0;
  const compiler::Node& n = g.nodes[static_cast<size_t>(p)];
  if (n.op != "DequantizeLinear" || !g.is_constant(n.inputs.at(1))) return 0;
  const Tensor& scale = *g.value(n.inputs[1]).constant;
  double step = 0;
  for (int64_t i = 0; i < scale.size(); ++i) step = std::max(step, scale.at(i));
  return step;
}

// Data movement: its outputs take its input's quantisation, and stay exact.
bool moves_only(const Graph& g) {
  static const std::set<std::string> moves = {
      "Transpose", "Reshape", "Flatten", "Slice", "Split", "Pad", "DepthToSpace", "SpaceToDepth"};
  for (const auto& n : g.nodes)
    if (!moves.count(n.op) || (n.op == "Pad" && n.s("mode", "constant") != "constant"))
      return false;
  return true;
}

// The int8 quantisation of a float tensor's values (0 included).
compiler::ActivationQuant own_range(const std::string& name, const Tensor& t) {
  compiler::Range r;
  for (const float v : t.as<float>()) {
    r.lo = std::min(r.lo, v);
    r.hi = std::max(r.hi, v);
  }
  return compiler::activation_quant(name, r, /*symmetric=*/false);
}

void add_value(Graph& g, const std::string& name, compiler::DType dtype, const Shape& shape) {
  compiler::Value& v = g.values[name];
  v.name = name;
  v.dtype = dtype;
  v.shape = shape;
  v.rank_known = true;
}

// `from` -> QuantizeLinear -> DequantizeLinear -> `to`, with q's parameters.
void insert_qdq(Graph& g, const std::string& from, const std::string& to,
                const compiler::ActivationQuant& q) {
  const std::string scale = from + "/scale", zp = from + "/zero_point", codes = from + "/q";
  g.set_constant(scale, Tensor::from(compiler::DType::kFloat32, {}, std::vector<float>{q.scale}));
  g.set_constant(zp, Tensor::from(compiler::DType::kInt8, {},
                                  std::vector<int8_t>{static_cast<int8_t>(q.zero_point)}));
  const Shape shape = g.value(from).shape;
  add_value(g, codes, compiler::DType::kInt8, shape);
  add_value(g, to, compiler::DType::kFloat32, shape);
  compiler::Node qn, dq;
  qn.name = from + "/QuantizeLinear";
  qn.op = "QuantizeLinear";
  qn.inputs = {from, scale, zp};
  qn.outputs = {codes};
  dq.name = from + "/DequantizeLinear";
  dq.op = "DequantizeLinear";
  dq.inputs = {codes, scale, zp};
  dq.outputs = {to};
  g.nodes.push_back(qn);
  g.nodes.push_back(dq);
}

// The float graph with Q -> DQ after each float input and before each
// float output; ranges from `feeds` and the outputs they give.
Graph boundary_qdq(Graph g, const TensorMap& feeds) {
  const TensorMap out = compiler::execute(g, feeds);
  const bool share = moves_only(g) && g.inputs.size() == 1;
  std::map<std::string, compiler::ActivationQuant> in_q;
  for (const auto& in : g.inputs) {
    if (g.value(in).dtype != compiler::DType::kFloat32) continue;
    in_q[in] = own_range(in, feeds.at(in));
    const std::string dq = in + "/dq";
    for (auto& n : g.nodes)
      for (auto& x : n.inputs)
        if (x == in) x = dq;
    insert_qdq(g, in, dq, in_q[in]);
  }
  for (const auto& o : g.outputs) {
    if (g.value(o).dtype != compiler::DType::kFloat32) continue;
    const std::string f = o + "/float";
    for (auto& n : g.nodes) {
      for (auto& x : n.outputs)
        if (x == o) x = f;
      for (auto& x : n.inputs)
        if (x == o) x = f;
    }
    compiler::Value v = g.value(o);
    v.name = f;
    g.values[f] = v;
    insert_qdq(g, f, o, share ? in_q.at(g.inputs[0]) : own_range(o, out.at(o)));
  }
  g.sort();
  return g;
}

std::string results_dir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? "" : exe.string() + ".results";
}

// The binary's identity: a summary reads only the results of its own build.
std::string build_key() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return std::to_string(fs::last_write_time(exe, ec).time_since_epoch().count()) + " " +
         std::to_string(fs::file_size(exe, ec));
}

}  // namespace

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::kFloat:
      return "float";
    case Kind::kQuantised:
      return "quantised";
    default:
      return "integer";
  }
}

const std::map<std::string, Case>& cases() {
  return scanned().cases;
}

const std::vector<std::string>& out_of_scope() {
  return scanned().excluded;
}

Prepared prepare(const Case& c, const std::string& work_dir) {
  Prepared p;
  Graph g = compiler::import_onnx(c.dir + "/model.onnx");
  const std::vector<Tensor> in = compiler::testing::load_case_tensors(c.dir, "input");
  p.expected = compiler::testing::load_case_tensors(c.dir, "output");
  // PyTorch-converted models may list their initializers as inputs too.
  std::vector<std::string> fed;
  for (const auto& name : g.inputs)
    if (!g.is_constant(name)) fed.push_back(name);
  if (in.size() != fed.size())
    throw std::runtime_error(c.name + ": " + std::to_string(in.size()) + " input files for " +
                             std::to_string(fed.size()) + " graph inputs");
  if (p.expected.size() != g.outputs.size())
    throw std::runtime_error(c.name + ": " + std::to_string(p.expected.size()) +
                             " output files for " + std::to_string(g.outputs.size()) +
                             " graph outputs");
  p.outputs = g.outputs;

  // Parameters given as inputs become initializers.
  const std::set<std::string> data = activation_inputs(g);
  bool float_data = false;
  for (size_t i = 0; i < fed.size(); ++i) {
    if (data.count(fed[i])) {
      p.feeds[fed[i]] = in[i];
      float_data = float_data || in[i].dtype() == compiler::DType::kFloat32;
    } else {
      g.set_constant(fed[i], in[i]);
      p.constants.push_back(fed[i]);
    }
  }
  g.inputs.erase(std::remove_if(g.inputs.begin(), g.inputs.end(),
                                [&](const std::string& n) { return g.is_constant(n); }),
                 g.inputs.end());

  p.kind = c.quantised ? Kind::kQuantised : float_data ? Kind::kFloat : Kind::kInteger;
  if (p.kind != Kind::kFloat) {
    p.graph = std::move(g);
    return p;
  }
  // Float: quantised on its own inputs (minmax: nothing of them clipped),
  // written, and read back: the simulator and ONNX Runtime run one file.
  const Graph prepared = compiler::prepare_graph(std::move(g), c.name);
  const compiler::QuantizedModel q = compiler::quantize(
      prepared, {p.feeds}, compiler::parse_range_method("minmax"), /*bias_correction=*/false);
  p.quant_notes = q.notes;
  p.qdq_file = work_dir + "/qdq.onnx";
  compiler::export_onnx(q.graph, p.qdq_file);
  p.graph = compiler::import_onnx(p.qdq_file);
  p.feeds = compiler::quantized_inputs(q, p.feeds);
  p.boundary_qdq = std::none_of(p.graph.nodes.begin(), p.graph.nodes.end(),
                                [](const compiler::Node& n) { return n.op == "QuantizeLinear"; });
  if (p.boundary_qdq) {
    compiler::export_onnx(boundary_qdq(prepared, p.feeds), p.qdq_file);
    p.graph = compiler::import_onnx(p.qdq_file);
  }
  for (const auto& o : p.outputs) {
    if (!p.graph.has_value(o))
      throw std::runtime_error(c.name + ": the quantised graph has no output '" + o + "'");
    p.step[o] = output_step(p.graph, o);
  }
  return p;
}

compiler::CompileOptions compile_options() {
  compiler::CompileOptions o;
  o.hw = isa::HwParams{};
  o.target = isa::Mode::kSingle;
  return o;
}

Placement placement(const Case& c, const compiler::CompileResult& r) {
  const bool qdq_case = std::find(c.ops.begin(), c.ops.end(), "QuantizeLinear") != c.ops.end() ||
                        std::find(c.ops.begin(), c.ops.end(), "DequantizeLinear") != c.ops.end();
  Placement p;
  for (const auto& pl : r.placement) {
    const std::string op = pl.node.substr(0, pl.node.find(' '));
    // The quantizer's Q/DQ at the float boundary always run on the host.
    if (!qdq_case && (op == "QuantizeLinear" || op == "DequantizeLinear")) continue;
    if (pl.unit == "NPU") {
      p.npu.push_back(pl.node);
    } else {
      p.all_npu = false;
      p.cpu.push_back(op + ": " + pl.reason);
    }
  }
  return p;
}

void save_result(const std::string& name, const Result& r) {
  const std::string dir = results_dir();
  if (dir.empty()) return;
  std::error_code ec;
  fs::create_directories(dir, ec);
  const std::string path = dir + "/" + name, tmp = path + "." + std::to_string(::getpid());
  {
    std::ofstream out(tmp);
    out << build_key() << "\n" << r.status << "\n" << r.unit << "\n" << r.detail << "\n";
  }
  fs::rename(tmp, path, ec);
  if (ec) fs::remove(tmp, ec);
}

std::map<std::string, Result> load_results() {
  std::map<std::string, Result> out;
  const std::string dir = results_dir(), key = build_key();
  std::error_code ec;
  if (dir.empty() || !fs::exists(dir, ec)) return out;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::ifstream in(e.path());
    std::string k;
    Result r;
    if (!std::getline(in, k) || k != key || !std::getline(in, r.status) ||
        !std::getline(in, r.unit))
      continue;
    std::getline(in, r.detail);
    out[e.path().filename().string()] = r;
  }
  return out;
}

}  // namespace npusim::conformance
