#include "errors.hpp"

#include <map>
#include <string>
#include <utility>

#include "bindings.hpp"
#include "npusim/compiler/graph.hpp"
#include "npusim/isa/hw_params.hpp"
#include "npusim/isa/program.hpp"
#include "npusim/runtime/errors.hpp"

namespace npusim::python {

namespace {

using runtime::RuntimeErrorKind;

// The classes, created once by bind_errors (kept for the module's lifetime).
struct ErrorTypes {
  py::object base, invalid_input, input_type, busy, device, timeout, closed, model, compile, param,
      program;
};
ErrorTypes* types = nullptr;

py::object make_type(py::module_& m, const char* name, std::initializer_list<py::handle> bases,
                     const char* doc) {
  py::tuple base_tuple(bases.size());
  size_t i = 0;
  for (py::handle b : bases) base_tuple[i++] = py::reinterpret_borrow<py::object>(b);
  const std::string qualified = std::string("npusim.") + name;
  py::object type = py::reinterpret_steal<py::object>(
      PyErr_NewExceptionWithDoc(qualified.c_str(), doc, base_tuple.ptr(), nullptr));
  if (!type) throw py::error_already_set();
  m.attr(name) = type;
  return type;
}

py::handle kind_type(RuntimeErrorKind kind) {
  switch (kind) {
    case RuntimeErrorKind::kInvalidInput:
      return types->invalid_input;
    case RuntimeErrorKind::kBusy:
      return types->busy;
    case RuntimeErrorKind::kDevice:
      return types->device;
    case RuntimeErrorKind::kTimeout:
      return types->timeout;
    case RuntimeErrorKind::kClosed:
      return types->closed;
    case RuntimeErrorKind::kModel:
      return types->model;
  }
  return types->base;
}

// The Python class and message of an npusim C++ error; nullptr for others.
std::pair<py::handle, std::string> classify(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const runtime::RuntimeError& e) {
    return {kind_type(e.kind()), e.what()};
  } catch (const compiler::CompileError& e) {
    return {types->compile, e.what()};
  } catch (const isa::ParamError& e) {
    return {types->param, e.what()};
  } catch (const isa::ProgramError& e) {
    return {types->program, e.what()};
  } catch (const py::builtin_exception&) {  // TypeError, ValueError, ... raised by the bindings
    return {py::handle(), ""};
  } catch (const py::error_already_set&) {
    return {py::handle(), ""};
  } catch (const std::exception& e) {  // any other C++ error: still npusim's, with its message
    return {types->base, e.what()};
  } catch (...) {
    return {py::handle(), ""};
  }
}

}  // namespace

py::object python_error(std::exception_ptr error) {
  auto [type, message] = classify(error);
  if (type) return py::reinterpret_borrow<py::object>(type)(message);
  try {
    std::rethrow_exception(error);
  } catch (py::error_already_set& e) {
    return e.value();
  } catch (const py::builtin_exception& e) {
    e.set_error();  // the Python exception it stands for
    return py::error_already_set().value();
  } catch (...) {
    return types->base("unknown C++ exception");
  }
}

void bind_errors(py::module_& m) {
  types = new ErrorTypes;  // never freed: the classes live as long as the interpreter
  const py::handle runtime_error = PyExc_RuntimeError, value_error = PyExc_ValueError;
  types->base = make_type(m, "NpusimError", {runtime_error}, "An error of npusim's C++ libraries.");
  types->invalid_input =
      make_type(m, "InvalidInputError", {types->base, value_error},
                "Wrong tensor name, dtype, shape or count; the message names the tensor.");
  types->input_type = make_type(m, "InputTypeError", {types->invalid_input, PyExc_TypeError},
                                "An input array of the wrong dtype (raised by the Python side).");
  types->busy = make_type(m, "DeviceBusyError", {types->base},
                          "The PE is already open in another runner (\"npu0pe0 is busy\").");
  types->device = make_type(m, "DeviceError", {types->base}, "The device failed the request.");
  types->timeout = make_type(m, "TimeoutError", {types->base, PyExc_TimeoutError},
                             "A wait ran out of (wall-clock) time.");
  types->closed = make_type(m, "ClosedError", {types->base}, "The runner or queue is closed.");
  types->model = make_type(m, "ModelError", {types->base}, "The model cannot be loaded.");
  types->compile = make_type(m, "CompileError", {types->base},
                             "The compiler or quantiser refused the model (names the node).");
  types->param = make_type(m, "ParamError", {types->base, value_error},
                           "A bad hardware parameter key or value.");
  types->program =
      make_type(m, "ProgramError", {types->base}, "A bad or mismatched .npub program.");
  py::register_exception_translator([](std::exception_ptr error) {
    if (!error) return;
    auto [type, message] = classify(error);
    if (type)
      PyErr_SetString(type.ptr(), message.c_str());
    else
      std::rethrow_exception(error);  // pybind11's own translators
  });
}

}  // namespace npusim::python
