// NumPy arrays <-> npusim tensors. Outputs become arrays without a copy (the
// array owns the tensor's storage); inputs are copied once into the tensor
// the runtime keeps for the request (it runs after the call returns, so the
// caller may reuse its array at once).
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>
#include <vector>

#include "npusim/compiler/executor.hpp"
#include "npusim/compiler/tensor.hpp"

namespace npusim::python {

namespace py = pybind11;

py::dtype numpy_dtype(compiler::DType dtype);
// The tensor dtype of a NumPy dtype; TypeError naming `what` and the dtype
// for those npusim has no tensors of (float64, float16, ...).
compiler::DType tensor_dtype(const py::dtype& dtype, const std::string& what);

// A copy of `array` (any strides) as a tensor. With `narrow_float64`,
// float64 becomes float32 (application stages' results); otherwise an
// unsupported dtype is a TypeError naming `what`.
compiler::Tensor to_tensor(const py::handle& array, const std::string& what,
                           bool narrow_float64 = false);
std::vector<compiler::Tensor> to_tensors(const py::sequence& arrays, const std::string& what);
compiler::TensorMap to_tensor_map(const py::dict& arrays, const std::string& what);

// Zero-copy: the array's base object owns the moved tensor.
py::array to_array(compiler::Tensor&& tensor);
py::list to_arrays(std::vector<compiler::Tensor>&& tensors);
py::dict to_array_dict(compiler::TensorMap&& tensors);

}  // namespace npusim::python
