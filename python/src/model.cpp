// npusim.runtime.Model: a loaded program (a .npub, or ONNX compiled through
// the compile cache) with the metadata of its inputs and outputs.
#include <pybind11/stl.h>

#include "arrays.hpp"
#include "bindings.hpp"
#include "npusim/isa/program.hpp"
#include "npusim/runtime/device_list.hpp"
#include "npusim/runtime/model.hpp"

namespace npusim::python {

namespace {

using runtime::Model;
using runtime::TensorDesc;

isa::Mode mode_of(const std::string& target) {
  if (target == "single") return isa::Mode::kSingle;
  if (target == "fused") return isa::Mode::kFused;
  throw py::value_error("target must be \"single\" or \"fused\", got \"" + target + "\"");
}

// Python holds models as shared_ptr<Model> (pybind11 has no holder for a
// pointer to const); nothing the bindings expose can change one.
std::shared_ptr<Model> load(const std::string& path, const isa::HwParams& hw,
                            const std::string& target,
                            const std::map<std::string, compiler::Shape>& input_shapes,
                            const std::vector<std::string>& outputs, const std::string& cache_dir,
                            int batch) {
  runtime::ModelOptions o;
  o.batch = batch;
  o.hw = hw;
  o.target = mode_of(target);
  o.input_shapes = input_shapes;
  o.outputs = outputs;
  o.cache_dir = cache_dir;
  py::gil_scoped_release unlocked;  // compiling can take seconds
  return std::const_pointer_cast<Model>(Model::load(path, o));
}

std::shared_ptr<Model> from_program_bytes(const py::bytes& bytes, const std::string& origin,
                                          const isa::HwParams& hw) {
  const std::string_view view = bytes;
  std::vector<uint8_t> data(view.begin(), view.end());
  isa::Program program = isa::deserialize(data, origin);
  return std::const_pointer_cast<Model>(Model::from_program(std::move(program), origin, hw));
}

}  // namespace

void bind_model(py::module_& m) {
  py::class_<TensorDesc>(m, "TensorDesc", "One model input or output as the application sees it.")
      .def_readonly("name", &TensorDesc::name)
      .def_property_readonly(
          "shape",
          [](const TensorDesc& d) { return py::tuple(py::cast(std::vector<int64_t>(d.shape))); })
      .def_property_readonly("dtype", [](const TensorDesc& d) { return numpy_dtype(d.dtype); })
      .def_readonly("layout", &TensorDesc::layout, "\"NCHW\", \"NHWC\" or \"\"")
      .def_property_readonly(
          "quantization",
          [](const TensorDesc& d) -> py::object {
            if (!d.quantized()) return py::none();
            return py::make_tuple(d.scale, d.zero_point);
          },
          "(scale, zero_point) of an int8/uint8 tensor: real = scale * (q - zero_point); "
          "None for others")
      .def_property_readonly(
          "size", [](const TensorDesc& d) { return compiler::element_count(d.shape); }, "elements")
      .def_property_readonly(
          "length",
          [](const TensorDesc& d) {
            return compiler::element_count(d.shape) * int64_t(compiler::dtype_size(d.dtype));
          },
          "bytes")
      .def("describe", &TensorDesc::describe)
      .def("__repr__", [](const TensorDesc& d) { return "<TensorDesc " + d.describe() + ">"; });

  py::class_<Model, std::shared_ptr<Model>>(m, "Model", "A program ready to run.")
      .def_property_readonly("origin", &Model::origin, "the file (or name) it came from")
      .def("inputs", &Model::inputs, "the inputs, in the order run() takes them")
      .def("outputs", &Model::outputs, "the outputs, in the order run() returns them")
      .def_property_readonly("input_num", [](const Model& mo) { return mo.inputs().size(); })
      .def_property_readonly("output_num", [](const Model& mo) { return mo.outputs().size(); })
      .def(
          "input", [](const Model& mo, size_t i) { return mo.inputs().at(i); }, py::arg("index"))
      .def(
          "output", [](const Model& mo, size_t i) { return mo.outputs().at(i); }, py::arg("index"))
      .def_property_readonly(
          "target", [](const Model& mo) { return std::string(isa::mode_name(mo.program().mode)); })
      .def_property_readonly(
          "hw", [](const Model& mo) { return mo.program().hw; },
          "the hardware parameters it was compiled for")
      .def_property_readonly("compiled_from_onnx", &Model::compiled_from_onnx)
      .def_property_readonly("cache_hit", &Model::cache_hit)
      .def_property_readonly("compile_ms", &Model::compile_ms)
      .def_property_readonly("source_hash", &Model::source_hash)
      .def_property_readonly(
          "segments",
          [](const Model& mo) {
            py::list out;
            for (const auto& s : mo.program().segments)
              out.append(std::holds_alternative<isa::NpuSegment>(s) ? "NPU" : "CPU");
            return out;
          },
          "the unit of each program segment, in execution order")
      .def(
          "program_bytes",
          [](const Model& mo) {
            const std::vector<uint8_t> b = isa::serialize(mo.program());
            return py::bytes(reinterpret_cast<const char*>(b.data()), b.size());
          },
          "the program as a .npub file's bytes")
      .def("__repr__", [](const Model& mo) {
        return "<npusim Model " + mo.origin() + ": " + std::to_string(mo.inputs().size()) +
               " input(s), " + std::to_string(mo.outputs().size()) + " output(s), " +
               std::string(isa::mode_name(mo.program().mode)) + ">";
      });

  m.def("load_model", &load, py::arg("path"), py::arg("hw"), py::arg("target") = "single",
        py::arg("input_shapes") = std::map<std::string, compiler::Shape>{},
        py::arg("outputs") = std::vector<std::string>{}, py::arg("cache_dir") = "",
        py::arg("batch") = 0);
  m.def(
      "device_is_fused",
      [](const std::string& devices) {
        return runtime::pe_mask_of(runtime::parse_device_list(devices).front()) == 3;
      },
      py::arg("devices"),
      "whether a device string (\"\" = $NPUSIM_DEVICES or npu0pe0) starts with a fused pair");
  m.def("model_from_program_bytes", &from_program_bytes, py::arg("program"), py::arg("origin"),
        py::arg("hw"));
}

}  // namespace npusim::python
