// npusim.quantizer's core: an FP32 model readied for quantisation, the
// streaming calibrator, range methods, QDQ quantisation and the accuracy
// report (docs/quantizer.md describes the scheme and the methods).
#include <pybind11/stl.h>

#include "arrays.hpp"
#include "bindings.hpp"
#include "npusim/compiler/onnx_io.hpp"
#include "npusim/compiler/quantizer.hpp"

namespace npusim::python {

namespace {

using compiler::Graph;

// A prepared FP32 graph ("optimize_model"), shared by calibrators and quantisations.
struct FloatGraph {
  std::shared_ptr<const Graph> graph;
  std::string origin;
  std::vector<std::string> notes;
};

FloatGraph prepare(const py::object& source, const std::map<std::string, compiler::Shape>& shapes,
                   bool fold_affine) {
  compiler::PrepareOptions o;
  o.input_shapes = shapes;
  o.fold_affine = fold_affine;
  FloatGraph f;
  if (py::isinstance<py::bytes>(source)) {
    const std::string bytes = source.cast<std::string>();
    f.origin = "<ONNX bytes>";
    py::gil_scoped_release unlocked;
    compiler::ImportOptions io;
    io.input_shapes = shapes;
    f.graph = std::make_shared<Graph>(compiler::prepare_graph(
        compiler::import_onnx_bytes(bytes, f.origin, io), f.origin, o, &f.notes));
    return f;
  }
  f.origin = py::str(source);
  py::gil_scoped_release unlocked;
  f.graph = std::make_shared<Graph>(compiler::prepare_model(f.origin, o, &f.notes));
  return f;
}

py::list value_descs(const Graph& g, const std::vector<std::string>& names) {
  py::list out;
  for (const auto& name : names) {
    const compiler::Value& v = g.value(name);
    out.append(py::make_tuple(name, py::tuple(py::cast(std::vector<int64_t>(v.shape))),
                              numpy_dtype(v.dtype)));
  }
  return out;
}

// One calibration (or evaluation) sample: arrays in the graph's input
// order, or a dict by input name.
compiler::TensorMap sample(const Graph& g, const py::handle& data, size_t number) {
  const std::string what = "sample " + std::to_string(number);
  if (py::isinstance<py::dict>(data)) return to_tensor_map(data.cast<py::dict>(), what + " input");
  std::vector<compiler::Tensor> tensors;
  if (py::isinstance<py::list>(data) || py::isinstance<py::tuple>(data))
    tensors = to_tensors(data.cast<py::sequence>(), what + " input");
  else
    tensors.push_back(to_tensor(data, what + " input 0"));
  if (tensors.size() != g.inputs.size())
    throw py::value_error(what + " has " + std::to_string(tensors.size()) +
                          " input(s); the model takes " + std::to_string(g.inputs.size()));
  compiler::TensorMap m;
  for (size_t i = 0; i < tensors.size(); ++i) m[g.inputs[i]] = std::move(tensors[i]);
  return m;
}

std::vector<compiler::TensorMap> samples(const Graph& g, const py::iterable& data) {
  std::vector<compiler::TensorMap> out;
  for (py::handle item : data) out.push_back(sample(g, item, out.size() + 1));
  return out;
}

// Calibrator: the plan's activations streamed through CalibrationCollector.
class Calibrator {
 public:
  explicit Calibrator(FloatGraph model)
      : model_(std::move(model)),
        plan_(compiler::plan_quantization(*model_.graph)),
        collector_(*model_.graph, plan_.activations, channel_mean_tensors(plan_)) {}

  void collect(const py::iterable& data) {
    for (py::handle item : data) {
      compiler::TensorMap input = sample(*model_.graph, item, collector_.samples() + 1);
      py::gil_scoped_release unlocked;
      collector_.add(input);
    }
  }
  size_t samples() const { return collector_.samples(); }

  // ({tensor: (lo, hi)}, {tensor: [channel means]}) for `method`.
  py::tuple ranges(const std::string& method, double percentile) {
    if (collector_.samples() == 0)
      throw py::value_error("no calibration data: call collect_data first");
    const compiler::RangeMethod m = compiler::parse_range_method(method, percentile);
    compiler::Calibration c;
    compiler::RangeTable table;
    {
      py::gil_scoped_release unlocked;
      c = collector_.result();
      table = compiler::compute_ranges(*model_.graph, c, plan_, m);
    }
    py::dict ranges, means;
    for (const auto& [name, r] : table) ranges[py::str(name)] = py::make_tuple(r.lo, r.hi);
    for (const auto& [name, v] : c.channel_means) means[py::str(name)] = v;
    return py::make_tuple(ranges, means);
  }

 private:
  static std::vector<std::string> channel_mean_tensors(const compiler::QuantPlan& plan) {
    std::vector<std::string> out;  // as calibrate_plan records them, for bias correction
    for (const auto& w : plan.weights) out.push_back(w.x);
    return out;
  }
  FloatGraph model_;
  compiler::QuantPlan plan_;
  compiler::CalibrationCollector collector_;
};

compiler::DType integer_type(const std::string& name) {
  if (name == "uint8") return compiler::DType::kUint8;
  if (name == "int8") return compiler::DType::kInt8;
  throw py::value_error("input types are uint8 or int8, got \"" + name + "\"");
}

// quantize(model, ranges): the QDQ model.
std::shared_ptr<compiler::QuantizedModel> quantize(
    const FloatGraph& model, const std::map<std::string, std::pair<float, float>>& ranges,
    bool symmetric, const compiler::ChannelMeans& channel_means,
    const std::map<std::string, std::string>& input_types) {
  compiler::RangeTable table;
  for (const auto& [name, r] : ranges) table[name] = compiler::Range{r.first, r.second};
  compiler::QuantizeOptions o;
  o.symmetric = symmetric;
  o.channel_means = channel_means;
  for (const auto& [name, type] : input_types) o.input_types[name] = integer_type(type);
  py::gil_scoped_release unlocked;
  const compiler::QuantPlan plan = compiler::plan_quantization(*model.graph);
  return std::make_shared<compiler::QuantizedModel>(
      compiler::quantize_graph(*model.graph, plan, table, o));
}

py::dict accuracy(const FloatGraph& fp32, const compiler::QuantizedModel& q,
                  const py::iterable& data, bool split, bool per_layer) {
  const std::vector<compiler::TensorMap> inputs = samples(*fp32.graph, data);
  compiler::AccuracyOptions o;
  o.split = split;
  o.per_layer = per_layer;
  compiler::AccuracyReport r;
  {
    py::gil_scoped_release unlocked;
    r = compiler::evaluate_accuracy(*fp32.graph, q, inputs, o);
  }
  py::dict d;
  d["samples"] = r.samples;
  py::list outputs;
  for (const auto& a : r.outputs) {
    py::dict o_;
    o_["name"] = a.name;
    o_["sqnr_db"] = a.sqnr_db;  // inf when equal
    o_["cosine"] = a.cosine;
    o_["max_abs_error"] = a.max_abs_error;
    if (split) {
      o_["weights_only_db"] = a.weights_only_db;
      o_["activations_only_db"] = a.activations_only_db;
    }
    o_["top1_agreement"] =
        a.top1_agreement < 0 ? py::object(py::none()) : py::float_(a.top1_agreement);
    outputs.append(o_);
  }
  d["outputs"] = outputs;
  py::list layers;
  for (const auto& l : r.layers) {
    py::dict l_;
    l_["tensor"] = l.tensor;
    l_["sqnr_db"] = l.sqnr_db;
    l_["local_db"] = l.local_db;
    l_["clipped"] = l.clipped;
    layers.append(l_);
  }
  d["layers"] = layers;
  return d;
}

py::bytes onnx_bytes(const Graph& g) {
  return py::bytes(compiler::export_onnx_bytes(g));
}

}  // namespace

void bind_quantizer(py::module_& m) {
  py::class_<FloatGraph>(m, "FloatGraph", "An FP32 ONNX model readied for quantisation.")
      .def_readonly("origin", &FloatGraph::origin)
      .def_readonly("notes", &FloatGraph::notes, "what preparing it did")
      .def_property_readonly(
          "inputs", [](const FloatGraph& f) { return value_descs(*f.graph, f.graph->inputs); })
      .def_property_readonly(
          "outputs", [](const FloatGraph& f) { return value_descs(*f.graph, f.graph->outputs); })
      .def_property_readonly("node_count",
                             [](const FloatGraph& f) { return f.graph->nodes.size(); })
      .def("onnx_bytes", [](const FloatGraph& f) { return onnx_bytes(*f.graph); });
  m.def("prepare_model", &prepare, py::arg("source"), py::arg("input_shapes"),
        py::arg("fold_affine") = true);

  py::class_<Calibrator>(m, "CalibratorCore")
      .def(py::init<FloatGraph>(), py::arg("model"))
      .def("collect", &Calibrator::collect, py::arg("data"))
      .def_property_readonly("samples", &Calibrator::samples)
      .def("ranges", &Calibrator::ranges, py::arg("method"), py::arg("percentile"));
  m.def("range_method_names", [] {
    std::vector<std::string> out;
    for (const auto& rm : compiler::all_range_methods())
      out.push_back(compiler::range_method_name(rm));
    return out;
  });

  py::class_<compiler::QuantizedModel, std::shared_ptr<compiler::QuantizedModel>>(m,
                                                                                  "QuantizedCore")
      .def("onnx_bytes", [](const compiler::QuantizedModel& q) { return onnx_bytes(q.graph); })
      .def_readonly("notes", &compiler::QuantizedModel::notes)
      .def_property_readonly(
          "inputs",
          [](const compiler::QuantizedModel& q) { return value_descs(q.graph, q.graph.inputs); })
      .def_property_readonly(
          "outputs",
          [](const compiler::QuantizedModel& q) { return value_descs(q.graph, q.graph.outputs); })
      .def_property_readonly("integer_inputs",
                             [](const compiler::QuantizedModel& q) {
                               py::dict d;
                               for (const auto& [name, a] : q.integer_inputs)
                                 d[py::str(name)] = py::make_tuple(a.scale, a.zero_point);
                               return d;
                             })
      .def_property_readonly("activations", [](const compiler::QuantizedModel& q) {
        py::list out;
        for (const auto& a : q.activations) {
          py::dict d;
          d["tensor"] = a.tensor;
          d["range"] = py::make_tuple(a.range.lo, a.range.hi);
          d["scale"] = a.scale;
          d["zero_point"] = a.zero_point;
          d["shared_with"] = a.shared_with;
          out.append(d);
        }
        return out;
      });
  m.def("quantize", &quantize, py::arg("model"), py::arg("ranges"), py::arg("symmetric"),
        py::arg("channel_means"), py::arg("input_types"));
  m.def("evaluate_accuracy", &accuracy, py::arg("fp32"), py::arg("quantized"), py::arg("data"),
        py::arg("split"), py::arg("per_layer"));
}

}  // namespace npusim::python
