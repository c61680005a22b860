// ONNX <-> graph IR. The only translation unit of the compiler that includes
// the generated ONNX protobuf header (it is slow to compile).
#include "npusim/compiler/onnx_io.hpp"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>
#include <onnx/version_converter/convert.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "npusim/common/files.hpp"
#include "npusim/common/limits.hpp"
#include "npusim/compiler/executor.hpp"
#include "npusim/compiler/npu_ops.hpp"
#include "onnx_schema_guard.hpp"

namespace npusim::compiler {
namespace {

DType dtype_of(int onnx_type) {
  switch (onnx_type) {
    case onnx::TensorProto::FLOAT:
      return DType::kFloat32;
    case onnx::TensorProto::UINT8:
      return DType::kUint8;
    case onnx::TensorProto::INT8:
      return DType::kInt8;
    case onnx::TensorProto::INT32:
      return DType::kInt32;
    case onnx::TensorProto::INT64:
      return DType::kInt64;
    case onnx::TensorProto::BOOL:
      return DType::kBool;
    default:
      return DType::kUndefined;
  }
}

int onnx_type_of(DType t) {
  switch (t) {
    case DType::kFloat32:
      return onnx::TensorProto::FLOAT;
    case DType::kUint8:
      return onnx::TensorProto::UINT8;
    case DType::kInt8:
      return onnx::TensorProto::INT8;
    case DType::kInt32:
      return onnx::TensorProto::INT32;
    case DType::kInt64:
      return onnx::TensorProto::INT64;
    case DType::kBool:
      return onnx::TensorProto::BOOL;
    case DType::kUndefined:
      break;
  }
  return onnx::TensorProto::UNDEFINED;
}

std::string type_name(int onnx_type) {
  return onnx::TensorProto::DataType_Name(static_cast<onnx::TensorProto::DataType>(onnx_type));
}

template <typename T, typename Src>
void fill(Tensor& t, const Src& src) {
  auto dst = t.as<T>();
  if (static_cast<size_t>(src.size()) != dst.size())
    throw CompileError("has " + std::to_string(src.size()) + " values for " +
                       std::to_string(dst.size()) + " elements");
  for (size_t i = 0; i < dst.size(); ++i) dst[i] = static_cast<T>(src.Get(static_cast<int>(i)));
}

// The values a TensorProto stores for its dtype: raw bytes / element size,
// or the length of its typed field.
uint64_t stored_values(const onnx::TensorProto& p, uint64_t element_bytes) {
  if (!p.raw_data().empty()) return p.raw_data().size() / element_bytes;
  switch (p.data_type()) {
    case onnx::TensorProto::FLOAT:
      return uint64_t(p.float_data_size());
    case onnx::TensorProto::DOUBLE:
      return uint64_t(p.double_data_size());
    case onnx::TensorProto::INT64:
      return uint64_t(p.int64_data_size());
    default:
      return uint64_t(p.int32_data_size());
  }
}

// The tensor's element count, within docs/limits.md and matching the data
// it stores, checked before anything is allocated.
uint64_t checked_size(const onnx::TensorProto& p, uint64_t element_bytes,
                      const std::string& where) {
  uint64_t n = 0;
  try {
    n = limits::checked_elements(Shape(p.dims().begin(), p.dims().end()), element_bytes,
                                 "tensor \"" + p.name() + "\"");
  } catch (const limits::LimitError& e) {
    throw CompileError(where + ": " + e.what());
  }
  const bool raw = !p.raw_data().empty();
  if ((raw && p.raw_data().size() != n * element_bytes) ||
      (!raw && stored_values(p, element_bytes) != n))
    throw CompileError(where + ": tensor \"" + p.name() + "\" has " +
                       (raw ? std::to_string(p.raw_data().size()) + " raw bytes for " +
                                  std::to_string(n * element_bytes)
                            : std::to_string(stored_values(p, element_bytes)) + " values for " +
                                  std::to_string(n) + " elements"));
  return n;
}

Tensor tensor_from_proto(const onnx::TensorProto& p, const std::string& where) {
  const DType dtype = dtype_of(p.data_type());
  if (dtype == DType::kUndefined && p.data_type() == onnx::TensorProto::DOUBLE) {
    // Doubles are narrowed to float: no model we target needs the precision.
    checked_size(p, 8, where);
    Tensor t(DType::kFloat32, Shape(p.dims().begin(), p.dims().end()));
    auto dst = t.as<float>();
    if (!p.raw_data().empty()) {
      for (size_t i = 0; i < dst.size(); ++i) {
        double d;
        std::memcpy(&d, p.raw_data().data() + i * 8, 8);
        dst[i] = static_cast<float>(d);
      }
    } else {
      fill<float>(t, p.double_data());
    }
    return t;
  }
  if (dtype == DType::kUndefined)
    throw CompileError(where + ": tensor \"" + p.name() + "\" has unsupported dtype " +
                       type_name(p.data_type()));
  if (p.data_location() == onnx::TensorProto::EXTERNAL)
    throw CompileError(where + ": tensor \"" + p.name() + "\" uses external data (not supported)");
  checked_size(p, dtype_size(dtype), where);
  Tensor t(dtype, Shape(p.dims().begin(), p.dims().end()));
  try {
    if (!p.raw_data().empty()) {
      if (p.raw_data().size() != t.bytes())
        throw CompileError("has " + std::to_string(p.raw_data().size()) + " raw bytes for " +
                           std::to_string(t.bytes()));
      std::memcpy(t.raw().data(), p.raw_data().data(), t.bytes());
    } else {
      switch (dtype) {
        case DType::kFloat32:
          fill<float>(t, p.float_data());
          break;
        case DType::kInt64:
          fill<int64_t>(t, p.int64_data());
          break;
        case DType::kInt32:
          fill<int32_t>(t, p.int32_data());
          break;
        case DType::kInt8:
          fill<int8_t>(t, p.int32_data());
          break;
        case DType::kUint8:
        case DType::kBool:
          fill<uint8_t>(t, p.int32_data());
          break;
        case DType::kUndefined:
          break;
      }
    }
  } catch (const CompileError& e) {
    throw CompileError(where + ": tensor \"" + p.name() + "\" " + e.what());
  }
  return t;
}

void tensor_to_proto(const Tensor& t, const std::string& name, onnx::TensorProto& p) {
  p.set_name(name);
  p.set_data_type(onnx_type_of(t.dtype()));
  for (int64_t d : t.shape()) p.add_dims(d);
  p.set_raw_data(std::string(t.raw().begin(), t.raw().end()));
}

Attribute attribute_from_proto(const onnx::AttributeProto& a, const std::string& where) {
  switch (a.type()) {
    case onnx::AttributeProto::INT:
      return a.i();
    case onnx::AttributeProto::FLOAT:
      return a.f();
    case onnx::AttributeProto::STRING:
      return a.s();
    case onnx::AttributeProto::INTS:
      return std::vector<int64_t>(a.ints().begin(), a.ints().end());
    case onnx::AttributeProto::FLOATS:
      return std::vector<float>(a.floats().begin(), a.floats().end());
    case onnx::AttributeProto::STRINGS:
      return std::vector<std::string>(a.strings().begin(), a.strings().end());
    case onnx::AttributeProto::TENSOR:
      return tensor_from_proto(a.t(), where);
    default:
      break;
  }
  throw CompileError(where + ": attribute \"" + a.name() + "\" has unsupported type " +
                     onnx::AttributeProto::AttributeType_Name(a.type()));
}

void attribute_to_proto(const std::string& name, const Attribute& value, onnx::AttributeProto& a) {
  a.set_name(name);
  if (auto* v = std::get_if<int64_t>(&value)) {
    a.set_type(onnx::AttributeProto::INT);
    a.set_i(*v);
  } else if (auto* f = std::get_if<float>(&value)) {
    a.set_type(onnx::AttributeProto::FLOAT);
    a.set_f(*f);
  } else if (auto* s = std::get_if<std::string>(&value)) {
    a.set_type(onnx::AttributeProto::STRING);
    a.set_s(*s);
  } else if (auto* is = std::get_if<std::vector<int64_t>>(&value)) {
    a.set_type(onnx::AttributeProto::INTS);
    for (auto x : *is) a.add_ints(x);
  } else if (auto* fs = std::get_if<std::vector<float>>(&value)) {
    a.set_type(onnx::AttributeProto::FLOATS);
    for (auto x : *fs) a.add_floats(x);
  } else if (auto* ss = std::get_if<std::vector<std::string>>(&value)) {
    a.set_type(onnx::AttributeProto::STRINGS);
    for (const auto& x : *ss) a.add_strings(x);
  } else {
    a.set_type(onnx::AttributeProto::TENSOR);
    tensor_to_proto(std::get<Tensor>(value), "", *a.mutable_t());
  }
}

// Reads dtype and shape of a ValueInfo; unknown or symbolic dims give
// rank_known=false (a dim of 0 is known: an empty tensor).
void read_value_info(const onnx::ValueInfoProto& info, Value& v) {
  v.name = info.name();
  if (!info.type().has_tensor_type()) return;
  const auto& tt = info.type().tensor_type();
  v.dtype = dtype_of(tt.elem_type());
  if (!tt.has_shape()) return;
  v.shape.clear();
  v.rank_known = true;
  for (const auto& d : tt.shape().dim()) {
    if (!d.has_dim_value() || d.dim_value() < 0) {
      v.rank_known = false;
      v.shape.clear();
      return;
    }
    v.shape.push_back(d.dim_value());
  }
}

void override_input_shapes(onnx::ModelProto& model, const ImportOptions& options,
                           const std::string& origin) {
  std::map<std::string, Shape> pending = options.input_shapes;
  std::set<std::string> initializers;
  for (const auto& t : model.graph().initializer()) initializers.insert(t.name());
  for (auto& input : *model.mutable_graph()->mutable_input()) {
    auto* shape = input.mutable_type()->mutable_tensor_type()->mutable_shape();
    // A dynamic leading dim is the batch: one image's graph is compiled.
    const bool dynamic_batch = options.batch > 0 && !initializers.count(input.name()) &&
                               shape->dim_size() > 0 && !shape->dim(0).has_dim_value();
    auto it = pending.find(input.name());
    if (it == pending.end()) {
      if (dynamic_batch) shape->mutable_dim(0)->set_dim_value(1);
      continue;
    }
    if (dynamic_batch && !it->second.empty()) {
      if (it->second[0] != 1 && it->second[0] != options.batch)
        throw CompileError(origin + ": --input-shape " + input.name() + "=" +
                           shape_string(it->second) + " gives a batch of " +
                           std::to_string(it->second[0]) + ", but --batch is " +
                           std::to_string(options.batch));
      it->second[0] = 1;
    }
    if (shape->dim_size() != 0 && shape->dim_size() != static_cast<int>(it->second.size()))
      throw CompileError(origin + ": --input-shape " + input.name() + "=" +
                         shape_string(it->second) + " has rank " +
                         std::to_string(it->second.size()) + " but the input has rank " +
                         std::to_string(shape->dim_size()));
    shape->clear_dim();
    for (int64_t d : it->second) shape->add_dim()->set_dim_value(d);
    pending.erase(it);
  }
  if (!pending.empty())
    throw CompileError(origin + ": --input-shape names \"" + pending.begin()->first +
                       "\", which is not an input of the model");
}

int64_t default_opset(const onnx::ModelProto& model) {
  for (const auto& o : model.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx") return o.version();
  return 0;
}

Graph graph_from_model(const onnx::ModelProto& model, const std::string& origin) {
  const auto& g = model.graph();
  Graph graph;
  graph.name = g.name();
  graph.opset = default_opset(model);
  for (const auto& init : g.initializer()) {
    Value& v = graph.values[init.name()];
    v.name = init.name();
    v.constant = tensor_from_proto(init, origin);
    v.dtype = v.constant->dtype();
    v.shape = v.constant->shape();
    v.rank_known = true;
  }
  for (const auto& in : g.input()) {
    if (graph.values.count(in.name()) && graph.values[in.name()].constant) continue;
    read_value_info(in, graph.values[in.name()]);
    graph.inputs.push_back(in.name());
  }
  for (const auto& vi : g.value_info()) read_value_info(vi, graph.values[vi.name()]);
  for (const auto& out : g.output()) {
    read_value_info(out, graph.values[out.name()]);
    graph.outputs.push_back(out.name());
  }
  int index = 0;
  for (const auto& n : g.node()) {
    Node node;
    node.name = n.name().empty() ? n.op_type() + "_" + std::to_string(index) : n.name();
    node.op = n.op_type();
    node.domain = n.domain() == "ai.onnx" ? "" : n.domain();
    node.inputs.assign(n.input().begin(), n.input().end());
    node.outputs.assign(n.output().begin(), n.output().end());
    const std::string where = origin + ": node " + node.describe();
    for (const auto& a : n.attribute()) node.attrs[a.name()] = attribute_from_proto(a, where);
    for (const auto& o : node.outputs)
      if (!graph.values.count(o)) graph.values[o].name = o;
    graph.nodes.push_back(std::move(node));
    ++index;
  }
  for (auto& [name, v] : graph.values) v.name = name;
  return graph;
}

bool static_shape(const onnx::ValueInfoProto& info) {
  if (!info.type().has_tensor_type() || !info.type().tensor_type().has_shape()) return false;
  for (const auto& d : info.type().tensor_type().shape().dim())
    if (!d.has_dim_value() || d.dim_value() < 0) return false;
  return true;
}

// The version converter's adapters read shapes from value_info (Softmax and
// LogSoftmax 12 -> 13 need their input's rank, and its dims when the axis is
// not the last). ONNX's shape inference cannot follow shape arithmetic in old
// opsets (PP-OCR cls, opset 9: Shape -> Cast -> Slice -> Concat -> Reshape ->
// MatMul -> Add -> Softmax): with static inputs, the values it left unknown
// get their shapes from one run of the reference executor on zeros.
// Returns false if the inputs are dynamic (shapes may then stay unknown).
bool infer_shapes_for_conversion(onnx::ModelProto& model, const std::string& origin) {
  onnx::shape_inference::InferShapes(model, guarded_schemas(),
                                     onnx::ShapeInferenceOptions(false, 0, true));
  auto* g = model.mutable_graph();
  std::set<std::string> initializers;
  for (const auto& init : g->initializer()) initializers.insert(init.name());
  for (const auto& in : g->input())
    if (!initializers.count(in.name()) && !static_shape(in)) return false;
  std::map<std::string, onnx::ValueInfoProto*> known;
  for (auto& vi : *g->mutable_value_info()) known[vi.name()] = &vi;
  for (auto& out : *g->mutable_output()) known[out.name()] = &out;
  bool missing = false;
  for (const auto& n : g->node())
    for (const auto& o : n.output())
      if (!o.empty() && (!known.count(o) || !static_shape(*known[o]))) missing = true;
  if (!missing) return true;
  const Graph graph = graph_from_model(model, origin);
  TensorMap zeros;
  for (const auto& name : graph.inputs) {
    const Value& v = graph.value(name);
    zeros[name] = Tensor(v.dtype, v.shape);
  }
  ExecOptions exec;
  exec.keep_intermediates = true;
  exec.check_value_info = false;
  TensorMap values;
  try {
    values = execute(graph, zeros, exec);
  } catch (const std::exception&) {
    return true;  // the converter reports what it cannot do
  }
  for (const auto& n : g->node())
    for (const auto& o : n.output()) {
      auto it = values.find(o);
      if (o.empty() || it == values.end() ||
          onnx_type_of(it->second.dtype()) == onnx::TensorProto::UNDEFINED)
        continue;
      onnx::ValueInfoProto* info = known.count(o) ? known[o] : nullptr;
      if (info && static_shape(*info)) continue;
      if (!info) {
        info = g->add_value_info();
        known[o] = info;
      }
      info->set_name(o);
      auto* tt = info->mutable_type()->mutable_tensor_type();
      tt->set_elem_type(onnx_type_of(it->second.dtype()));
      auto* shape = tt->mutable_shape();
      shape->clear_dim();
      for (int64_t d : it->second.shape()) shape->add_dim()->set_dim_value(d);
    }
  return true;
}

// Attributes ONNX's shape inference divides by or sizes buffers with
// (a Conv with strides=[0,0] stops it with SIGFPE): refused with the node
// and attribute named before it runs. Subgraphs (If, Loop) are checked too.
void check_attributes(const onnx::GraphProto& g, const std::string& origin) {
  for (int i = 0; i < g.node_size(); ++i) {
    const onnx::NodeProto& n = g.node(i);
    const std::string node = n.op_type() + " '" +
                             (n.name().empty() ? n.op_type() + "_" + std::to_string(i) : n.name()) +
                             "'";
    for (const auto& a : n.attribute()) {
      if (a.type() == onnx::AttributeProto::GRAPH) check_attributes(a.g(), origin);
      for (const auto& sub : a.graphs()) check_attributes(sub, origin);
      const std::string& name = a.name();
      const bool positive = name == "strides" || name == "dilations" || name == "kernel_shape" ||
                            name == "group" || name == "blocksize";
      const bool non_negative = name == "pads" || name == "output_padding";
      if (!positive && !non_negative) continue;
      std::vector<int64_t> values(a.ints().begin(), a.ints().end());
      if (a.type() == onnx::AttributeProto::INT) values.push_back(a.i());
      for (int64_t v : values)
        if (positive ? v <= 0 : v < 0)
          throw CompileError(origin + ": node " + node + ": attribute " + name + " has " +
                             std::to_string(v) +
                             (positive ? "; it must be positive" : "; it must not be negative"));
    }
  }
}

onnx::ModelProto parse_model(const std::string& bytes, const std::string& origin) {
  onnx::ModelProto model;
  if (bytes.empty() || !model.ParseFromString(bytes) || !model.has_graph())
    throw CompileError(origin + ": not an ONNX model (could not parse a ModelProto with a graph)");
  return model;
}

}  // namespace

Graph import_onnx_bytes(const std::string& bytes, const std::string& origin,
                        const ImportOptions& options) {
  onnx::ModelProto model = parse_model(bytes, origin);
  check_attributes(model.graph(), origin);
  try {
    if (options.run_checker) onnx::checker::check_model(model);
    override_input_shapes(model, options, origin);
    if (options.min_opset > 0 && default_opset(model) < options.min_opset) {
      // Shapes first: the converter's adapters read them.
      const bool shapes = infer_shapes_for_conversion(model, origin);
      try {
        model =
            onnx::version_conversion::ConvertVersion(model, static_cast<int>(options.min_opset));
      } catch (const std::exception& e) {
        throw CompileError(origin + ": converting opset " + std::to_string(default_opset(model)) +
                           " to " + std::to_string(options.min_opset) + ": " + e.what() +
                           (shapes ? ""
                                   : " (the inputs have dynamic dimensions: fixing them "
                                     "with --input-shape lets every shape be known)"));
      }
    }
    if (options.infer_shapes) onnx::shape_inference::InferShapes(model, guarded_schemas());
  } catch (const CompileError&) {
    throw;
  } catch (const std::exception& e) {
    throw CompileError(origin + ": " + e.what());
  }
  return graph_from_model(model, origin);
}

Graph import_onnx(const std::string& path, const ImportOptions& options) {
  try {
    return import_onnx_bytes(files::read_file(path, limits::kMaxModelFileBytes, "an ONNX model"),
                             path, options);
  } catch (const files::FileError& e) {
    throw CompileError(e.what());
  }
}

namespace {
void value_info_to_proto(const Value& v, onnx::ValueInfoProto& info) {
  info.set_name(v.name);
  auto* tt = info.mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx_type_of(v.dtype));
  if (!v.rank_known) return;
  auto* shape = tt->mutable_shape();
  for (int64_t d : v.shape) shape->add_dim()->set_dim_value(d);
}
}  // namespace

std::string export_onnx_bytes(const Graph& graph) {
  onnx::ModelProto model;
  model.set_ir_version(8);
  model.set_producer_name("npusim");
  auto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(graph.opset);
  // Every other domain a node uses (the lowered graph's npusim ops) needs an
  // opset_import entry too, or the checker refuses the model.
  std::set<std::string> domains;
  for (const auto& node : graph.nodes)
    if (!node.domain.empty() && node.domain != "ai.onnx") domains.insert(node.domain);
  for (const auto& domain : domains) {
    auto* other = model.add_opset_import();
    other->set_domain(domain);
    other->set_version(domain == kNpuDomain ? kNpuOpsetVersion : 1);
  }
  auto* g = model.mutable_graph();
  g->set_name(graph.name.empty() ? "npusim" : graph.name);
  // A graph built in code may not record its outputs' types yet: shape
  // inference fills them in when the model is read back.
  auto info = [&](const std::string& name, onnx::ValueInfoProto& out) {
    auto it = graph.values.find(name);
    if (it == graph.values.end() || it->second.dtype == DType::kUndefined)
      out.set_name(name);
    else
      value_info_to_proto(it->second, out);
  };
  for (const auto& name : graph.inputs) info(name, *g->add_input());
  for (const auto& name : graph.outputs) info(name, *g->add_output());
  for (const auto& [name, v] : graph.values)
    if (v.constant) tensor_to_proto(*v.constant, name, *g->add_initializer());
  for (const auto& node : graph.nodes) {
    auto* n = g->add_node();
    n->set_name(node.name);
    n->set_op_type(node.op);
    if (!node.domain.empty()) n->set_domain(node.domain);
    for (const auto& i : node.inputs) n->add_input(i);
    for (const auto& o : node.outputs) n->add_output(o);
    for (const auto& [name, a] : node.attrs) attribute_to_proto(name, a, *n->add_attribute());
  }
  return model.SerializeAsString();
}

void export_onnx(const Graph& graph, const std::string& path) {
  try {
    files::write_file(path, export_onnx_bytes(graph));
  } catch (const files::FileError& e) {
    throw CompileError(e.what());
  }
}

}  // namespace npusim::compiler
