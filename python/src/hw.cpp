// npusim.hw: the hardware parameters (isa::HwParams, docs/params.md) as a
// dict-like object: keys and canonical text values as describe() lists
// them; setting a key parses its text (with units) and checks its range.
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "npusim/isa/hw_params.hpp"

namespace npusim::python {

namespace {

using isa::HwParams;

std::vector<std::string> keys(const HwParams& p) {
  std::vector<std::string> out;
  for (const auto& [k, v] : isa::describe(p)) out.push_back(k);
  return out;
}

std::string get(const HwParams& p, const std::string& key) {
  for (const auto& [k, v] : isa::describe(p))
    if (k == key) return v;
  throw py::key_error(key);
}

// "16MiB", 65536 (a count or a size in bytes) -> the text set_param parses.
std::string value_text(const py::handle& value, const std::string& key) {
  if (py::isinstance<py::str>(value)) return value.cast<std::string>();
  if (py::isinstance<py::int_>(value) && !py::isinstance<py::bool_>(value))
    return py::str(value).cast<std::string>();
  throw py::type_error("hardware parameter " + key +
                       " takes a string like \"16MiB\" or an int, got " +
                       py::str(py::type::handle_of(value)).cast<std::string>());
}

bool known(const HwParams& p, const std::string& key) {
  // describe() lists the canonical keys; set_param also takes these (docs/params.md).
  for (const char* alias : {"preset", "clock_hz", "host_op_ns", "array_rows", "array_cols"})
    if (key == alias) return true;
  for (const auto& k : keys(p))
    if (k == key) return true;
  return false;
}

// An unknown key is a KeyError, as for a dict (with set_param's message
// listing the known keys); a bad value is npusim.ParamError (a ValueError).
void set(HwParams& p, const std::string& key, const py::handle& value) {
  const std::string text = value_text(value, key);
  try {
    isa::set_param(p, key, text);
  } catch (const isa::ParamError& e) {
    if (!known(p, key)) throw py::key_error(e.what());
    throw;
  }
}

}  // namespace

void bind_hw(py::module_& m) {
  py::class_<HwParams> hw(m, "HwParams",
                          R"(Hardware parameters of the simulated NPU (docs/params.md).

A dict-like object: keys as in docs/params.md, values as canonical text
("16MiB", "66GB/s"); setting parses text with units and checks the range,
raising npusim.ParamError naming key and value. Attributes give the numbers
(sram_per_pe in bytes, clock_hz in Hz, ...).)");
  hw.def(py::init([](const std::string& preset) { return isa::preset(preset); }),
         py::arg("preset") = "warboy")
      .def("__getitem__", &get)
      .def("__setitem__", &set)
      .def("__contains__",
           [](const HwParams& p, const std::string& key) {
             for (const auto& k : keys(p))
               if (k == key) return true;
             return false;
           })
      .def("__iter__", [](const HwParams& p) { return py::iter(py::cast(keys(p))); })
      .def("__len__", [](const HwParams& p) { return keys(p).size(); })
      .def("keys", &keys)
      .def("values",
           [](const HwParams& p) {
             std::vector<std::string> out;
             for (const auto& [k, v] : isa::describe(p)) out.push_back(v);
             return out;
           })
      .def("items", [](const HwParams& p) { return isa::describe(p); })
      .def(
          "get",
          [](const HwParams& p, const std::string& key, py::object fallback) -> py::object {
            for (const auto& [k, v] : isa::describe(p))
              if (k == key) return py::str(v);
            return fallback;
          },
          py::arg("key"), py::arg("default") = py::none())
      .def(
          "update",
          [](HwParams& p, const py::dict& values) {
            HwParams updated = p;  // all or nothing
            for (const auto& [k, v] : values) set(updated, py::str(k), v);
            p = updated;
          },
          py::arg("values"), "Sets several keys; on an error none is set.")
      .def("copy", [](const HwParams& p) { return p; })
      .def("to_text", &isa::to_text, "The text that npusim.hw.load (and --hw FILE) reads back.")
      .def("to_dict",
           [](const HwParams& p) {
             py::dict d;
             for (const auto& [k, v] : isa::describe(p)) d[py::str(k)] = v;
             return d;
           })
      .def("__eq__", [](const HwParams& a, const HwParams& b) { return a == b; })
      .def("__repr__",
           [](const HwParams& p) {
             std::string s = "npusim.hw.HwParams(" + p.name;
             for (const auto& [k, v] : isa::describe(p)) s += ", " + k + "=" + v;
             return s + ")";
           })
      .def_readonly("name", &HwParams::name)
      .def_readonly("num_pes", &HwParams::num_pes)
      .def_readonly("clock_hz", &HwParams::clock_hz)
      .def_readonly("array_rows", &HwParams::array_rows)
      .def_readonly("array_cols", &HwParams::array_cols)
      .def_readonly("sram_per_pe", &HwParams::sram_per_pe)
      .def_readonly("dram_size", &HwParams::dram_size)
      .def_readonly("dram_bandwidth", &HwParams::dram_bandwidth)
      .def_readonly("host_link", &HwParams::host_link)
      .def_readonly("pe_link", &HwParams::pe_link)
      .def_readonly("vector_lanes", &HwParams::vector_lanes)
      .def_readonly("dma_setup_cycles", &HwParams::dma_setup_cycles)
      .def_readonly("dma_burst", &HwParams::dma_burst)
      .def_readonly("matrix_issue_cycles", &HwParams::matrix_issue_cycles)
      .def_readonly("vector_issue_cycles", &HwParams::vector_issue_cycles)
      .def_readonly("num_semaphores", &HwParams::num_semaphores)
      .def_readonly("watchdog_cycles", &HwParams::watchdog_cycles)
      .def_readonly("host_cores", &HwParams::host_cores)
      .def_readonly("host_op_ns", &HwParams::host_op_ns)
      .def_property_readonly("macs_per_cycle", &HwParams::macs_per_cycle);
  hw.attr("__hash__") = py::none();  // mutable
  m.def("hw_preset", &isa::preset, py::arg("name"));
  m.def("hw_preset_names", &isa::preset_names);
  m.def("hw_load", &isa::load_params_file, py::arg("path"));
}

}  // namespace npusim::python
