// The parts of the extension module npusim._npusim, one function per part;
// module.cpp calls them in order (errors first: the others raise them).
#pragma once

#include <pybind11/pybind11.h>

namespace npusim::python {

namespace py = pybind11;

void bind_errors(py::module_& m);
void bind_hw(py::module_& m);
void bind_model(py::module_& m);
void bind_stats(py::module_& m);
void bind_runner(py::module_& m);
void bind_queue(py::module_& m);
void bind_quantizer(py::module_& m);
void bind_compiler(py::module_& m);
void bind_vision(py::module_& m);
void bind_profile(py::module_& m);

}  // namespace npusim::python
