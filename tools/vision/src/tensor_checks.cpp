#include "tensor_checks.hpp"

#include <stdexcept>

namespace npusim::vision::detail {

using compiler::DType;

std::string list_tensors(const compiler::TensorMap& tensors) {
  if (tensors.empty()) return "no tensors";
  std::string s;
  for (const auto& [name, t] : tensors) {
    if (!s.empty()) s += ", ";
    s += name + " [" + compiler::shape_string(t.shape()) + " " +
         std::string(compiler::dtype_name(t.dtype())) + "]";
  }
  return s;
}

std::span<const float> float_data(const compiler::Tensor* t, const std::string& what,
                                  const compiler::Shape& expected) {
  if (!t) throw std::runtime_error(what + ": tensor not given");
  if (t->dtype() != DType::kFloat32)
    throw std::runtime_error(what + ": expected float32 (dequantise first), got " +
                             std::string(compiler::dtype_name(t->dtype())));
  if (t->shape() != expected)
    throw std::runtime_error(what + ": expected shape " + compiler::shape_string(expected) +
                             ", got " + compiler::shape_string(t->shape()));
  return t->as<float>();
}

}  // namespace npusim::vision::detail
