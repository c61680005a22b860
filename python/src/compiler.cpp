// npusim.compiler's core: a quantised (QDQ) ONNX model to a program for the
// simulated NPU, with where each node runs and what each stage took.
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "npusim/compiler/compile.hpp"
#include "npusim/compiler/onnx_io.hpp"
#include "npusim/compiler/quantizer.hpp"
#include "npusim/isa/program.hpp"
#include "npusim/runtime/model.hpp"

namespace npusim::python {

namespace {

struct Compiled {
  compiler::CompileResult result;
  std::string origin;
};

// `source`: a path, ONNX bytes, or a QuantizedCore.
compiler::Graph import(const py::object& source, std::string& origin, int batch) {
  compiler::ImportOptions io;
  io.batch = batch > 1 ? batch : 0;  // a dynamic leading dim: one image's graph
  if (py::isinstance<compiler::QuantizedModel>(source)) {
    origin = "<quantized model>";
    return source.cast<const compiler::QuantizedModel&>().graph;
  }
  if (py::isinstance<py::bytes>(source)) {
    origin = "<ONNX bytes>";
    return compiler::import_onnx_bytes(source.cast<std::string>(), origin, io);
  }
  origin = py::str(source);
  py::gil_scoped_release unlocked;
  return compiler::import_onnx(origin, io);
}

std::shared_ptr<Compiled> compile(const py::object& source, const std::string& target,
                                  const isa::HwParams& hw, const std::vector<std::string>& outputs,
                                  int batch) {
  auto c = std::make_shared<Compiled>();
  compiler::Graph g = import(source, c->origin, batch);
  compiler::CompileOptions o;
  o.hw = hw;
  if (target != "single" && target != "fused")
    throw py::value_error("target must be \"single\" or \"fused\", got \"" + target + "\"");
  o.target = target == "fused" ? isa::Mode::kFused : isa::Mode::kSingle;
  o.outputs = outputs;
  o.batch = batch;
  py::gil_scoped_release unlocked;
  c->result = compiler::compile(std::move(g), o);
  return c;
}

py::bytes program_bytes(const Compiled& c) {
  const std::vector<uint8_t> b = isa::serialize(c.result.program);
  return py::bytes(reinterpret_cast<const char*>(b.data()), b.size());
}

}  // namespace

void bind_compiler(py::module_& m) {
  py::class_<Compiled, std::shared_ptr<Compiled>>(m, "CompiledCore")
      .def_readonly("origin", &Compiled::origin)
      .def("program_bytes", &program_bytes)
      .def(
          "save",
          [](const Compiled& c, const std::string& path) {
            isa::save_program(c.result.program, path);
          },
          py::arg("path"))
      .def_property_readonly(
          "target",
          [](const Compiled& c) { return std::string(isa::mode_name(c.result.program.mode)); })
      .def_property_readonly("hw", [](const Compiled& c) { return c.result.program.hw; })
      .def_property_readonly("placement",
                             [](const Compiled& c) {
                               py::list out;
                               for (const auto& p : c.result.placement) {
                                 py::dict d;
                                 d["node"] = p.node;
                                 d["unit"] = p.unit;
                                 d["reason"] = p.reason;
                                 out.append(d);
                               }
                               return out;
                             })
      .def_property_readonly("stages",
                             [](const Compiled& c) {
                               py::list out;
                               for (const auto& s : c.result.stages)
                                 out.append(py::make_tuple(s.stage, s.ms));
                               return out;
                             })
      .def_property_readonly("sram_peak", [](const Compiled& c) { return c.result.sram_peak; })
      .def_property_readonly("dram_weights",
                             [](const Compiled& c) { return c.result.dram_weights; })
      .def_property_readonly("dram_activations",
                             [](const Compiled& c) { return c.result.dram_activations; })
      .def_property_readonly("layers",
                             [](const Compiled& c) {
                               py::list out;
                               for (const auto& l : c.result.layers) {
                                 py::dict d;
                                 d["segment"] = l.segment;
                                 d["layer"] = l.layer;
                                 d["op"] = l.op;
                                 d["tiling"] = l.tiling;
                                 d["dram_bytes"] = l.dram_bytes;
                                 d["sram_resident"] = l.sram_resident;
                                 d["sram_work"] = l.sram_work;
                                 out.append(d);
                               }
                               return out;
                             })
      .def_property_readonly("dram_traffic",
                             [](const Compiled& c) { return c.result.dram_traffic; })
      .def_property_readonly("batch", [](const Compiled& c) { return c.result.batch; })
      .def(
          "model",
          [](const Compiled& c) {
            return std::const_pointer_cast<runtime::Model>(
                runtime::Model::from_program(c.result.program, c.origin, c.result.program.hw));
          },
          "the program as a runtime Model (for create_runner)");
  m.def("compile", &compile, py::arg("source"), py::arg("target"), py::arg("hw"),
        py::arg("outputs") = std::vector<std::string>{}, py::arg("batch") = 1);
}

}  // namespace npusim::python
