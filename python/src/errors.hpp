// C++ errors as Python exceptions, carrying the C++ message. The classes
// (npusim.NpusimError and its subclasses, docs/python.md "Errors"):
//   InvalidInputError (also ValueError)   wrong tensor name, shape or count
//     InputTypeError (also TypeError)     wrong dtype (checked by npusim/runtime.py)
//   DeviceBusyError                       the PE is open in another runner
//   DeviceError                           the device failed the request
//   TimeoutError (also builtin TimeoutError), ClosedError, ModelError
//   CompileError, ParamError (also ValueError), ProgramError
// Other C++ exceptions keep pybind11's mapping (std::runtime_error ->
// RuntimeError, std::invalid_argument -> ValueError, ...).
#pragma once

#include <pybind11/pybind11.h>

#include <exception>

namespace npusim::python {

namespace py = pybind11;

// The exception object for a C++ error, for delivering it to Python code
// other than the caller (asyncio futures, queue results). Needs the GIL.
py::object python_error(std::exception_ptr error);

}  // namespace npusim::python
