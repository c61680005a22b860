// npusim._npusim: the C++ libraries as a Python extension module. The
// package's Python modules (python/npusim/*.py) build the public API on it.
#include <spdlog/spdlog.h>

#include "bindings.hpp"
#include "npusim/runtime/version.hpp"

PYBIND11_MODULE(_npusim, m) {
  namespace py = pybind11;
  using namespace npusim::python;
  // Quiet like the command line; SPDLOG_LEVEL is not read here (set_log_level).
  spdlog::set_level(spdlog::level::warn);
  m.doc() = "npusim's C++ libraries (runtime, quantizer, compiler, device model)";
  m.def("version", [] { return std::string(npusim::runtime::version()); });
  m.def("git_revision", [] { return std::string(npusim::runtime::git_revision()); });
  m.def(
      "set_log_level",
      [](const std::string& level) { spdlog::set_level(spdlog::level::from_str(level)); },
      py::arg("level"),
      "spdlog level of the driver's and device's log: warn (default), info, debug");
  bind_errors(m);
  bind_hw(m);
  bind_model(m);
  bind_stats(m);
  bind_runner(m);
  bind_queue(m);
  bind_quantizer(m);
  bind_compiler(m);
  bind_vision(m);
  bind_profile(m);
}
