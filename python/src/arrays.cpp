#include "arrays.hpp"

#include <cstring>

namespace npusim::python {

using compiler::DType;

py::dtype numpy_dtype(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return py::dtype::of<float>();
    case DType::kUint8:
      return py::dtype::of<uint8_t>();
    case DType::kInt8:
      return py::dtype::of<int8_t>();
    case DType::kInt32:
      return py::dtype::of<int32_t>();
    case DType::kInt64:
      return py::dtype::of<int64_t>();
    case DType::kBool:
      return py::dtype::of<bool>();
    case DType::kUndefined:
      break;
  }
  throw py::type_error("a tensor of undefined dtype has no NumPy dtype");
}

DType tensor_dtype(const py::dtype& dtype, const std::string& what) {
  for (DType d :
       {DType::kFloat32, DType::kUint8, DType::kInt8, DType::kInt32, DType::kInt64, DType::kBool})
    if (dtype.equal(numpy_dtype(d))) return d;
  throw py::type_error(what + ": NumPy dtype " + std::string(py::str(py::handle(dtype))) +
                       " has no npusim tensor type (float32, uint8, int8, int32, int64, bool)");
}

compiler::Tensor to_tensor(const py::handle& object, const std::string& what, bool narrow_float64) {
  py::array array = py::array::ensure(object);
  if (!array)
    throw py::type_error(what + ": expected a NumPy array, got " +
                         py::str(py::type::handle_of(object)).cast<std::string>());
  if (narrow_float64 && array.dtype().equal(py::dtype::of<double>()))
    array = array.attr("astype")(py::dtype::of<float>());
  const DType dtype = tensor_dtype(array.dtype(), what);
  // C order, copied once if the strides say otherwise.
  array = py::array::ensure(array, py::array::c_style);
  compiler::Shape shape(array.shape(), array.shape() + array.ndim());
  compiler::Tensor tensor(dtype, shape);
  if (tensor.bytes()) std::memcpy(tensor.raw().data(), array.data(), tensor.bytes());
  return tensor;
}

std::vector<compiler::Tensor> to_tensors(const py::sequence& arrays, const std::string& what) {
  std::vector<compiler::Tensor> out;
  out.reserve(arrays.size());
  for (size_t i = 0; i < arrays.size(); ++i)
    out.push_back(to_tensor(arrays[i], what + " " + std::to_string(i)));
  return out;
}

compiler::TensorMap to_tensor_map(const py::dict& arrays, const std::string& what) {
  compiler::TensorMap out;
  for (const auto& [name, array] : arrays) {
    const std::string key = py::str(name);
    out[key] = to_tensor(array, what + " \"" + key + "\"");
  }
  return out;
}

py::array to_array(compiler::Tensor&& tensor) {
  std::vector<py::ssize_t> shape(tensor.shape().begin(), tensor.shape().end());
  const py::dtype dtype = numpy_dtype(tensor.dtype());
  if (tensor.bytes() == 0) return py::array(dtype, shape);
  auto* owner = new compiler::Tensor(std::move(tensor));
  py::capsule base(owner, [](void* p) { delete static_cast<compiler::Tensor*>(p); });
  return py::array(dtype, shape, {}, owner->raw().data(), base);
}

py::list to_arrays(std::vector<compiler::Tensor>&& tensors) {
  py::list out;
  for (auto& t : tensors) out.append(to_array(std::move(t)));
  tensors.clear();
  return out;
}

py::dict to_array_dict(compiler::TensorMap&& tensors) {
  py::dict out;
  for (auto& [name, t] : tensors) out[py::str(name)] = to_array(std::move(t));
  tensors.clear();
  return out;
}

}  // namespace npusim::python
