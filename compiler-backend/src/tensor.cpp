#include "npusim/compiler/tensor.hpp"

#include <algorithm>

#include "npusim/common/limits.hpp"

namespace npusim::compiler {

std::string_view dtype_name(DType t) {
  switch (t) {
    case DType::kFloat32:
      return "float32";
    case DType::kUint8:
      return "uint8";
    case DType::kInt8:
      return "int8";
    case DType::kInt32:
      return "int32";
    case DType::kInt64:
      return "int64";
    case DType::kBool:
      return "bool";
    case DType::kUndefined:
      break;
  }
  return "undefined";
}

size_t dtype_size(DType t) {
  switch (t) {
    case DType::kFloat32:
    case DType::kInt32:
      return 4;
    case DType::kUint8:
    case DType::kInt8:
    case DType::kBool:
      return 1;
    case DType::kInt64:
      return 8;
    case DType::kUndefined:
      break;
  }
  return 0;
}

DType dtype_from_name(std::string_view name) {
  for (DType t :
       {DType::kFloat32, DType::kUint8, DType::kInt8, DType::kInt32, DType::kInt64, DType::kBool})
    if (dtype_name(t) == name) return t;
  throw std::invalid_argument("unknown dtype \"" + std::string(name) + "\"");
}

// A zero dim makes the count 0 whatever the others, which may then be huge
// (a .npy shape's product is what the limits check).
int64_t element_count(const Shape& s) {
  if (std::find(s.begin(), s.end(), 0) != s.end()) return 0;
  int64_t n = 1;
  for (int64_t d : s)
    if (__builtin_mul_overflow(n, d, &n))
      throw std::invalid_argument("tensor shape " + shape_string(s) +
                                  " has more elements than an int64 holds");
  return n;
}

std::string shape_string(const Shape& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) out += (i ? "x" : "") + std::to_string(s[i]);
  return out.empty() ? "scalar" : out;
}

Tensor::Tensor(DType dtype, Shape shape) : dtype_(dtype), shape_(std::move(shape)) {
  for (int64_t d : shape_)
    if (d < 0) throw std::invalid_argument("tensor shape " + shape_string(shape_) + " is negative");
  // Before allocating: a huge shape is an error naming it, not std::bad_alloc.
  limits::checked_elements(shape_, dtype_size(dtype_),
                           "a " + std::string(dtype_name(dtype_)) + " tensor");
  data_.assign(static_cast<size_t>(element_count(shape_)) * dtype_size(dtype_), 0);
}

void Tensor::reshape(Shape s) {
  if (element_count(s) != size())
    throw std::invalid_argument("cannot reshape " + shape_string(shape_) + " to " +
                                shape_string(s));
  shape_ = std::move(s);
}

double Tensor::at(int64_t i) const {
  switch (dtype_) {
    case DType::kFloat32:
      return as<float>()[i];
    case DType::kUint8:
      return as<uint8_t>()[i];
    case DType::kInt8:
      return as<int8_t>()[i];
    case DType::kInt32:
      return as<int32_t>()[i];
    case DType::kInt64:
      return static_cast<double>(as<int64_t>()[i]);
    case DType::kBool:
      return as<uint8_t>()[i] != 0;
    case DType::kUndefined:
      break;
  }
  throw std::logic_error("element of an undefined tensor");
}

int64_t Tensor::int_at(int64_t i) const {
  if (dtype_ == DType::kInt64) return as<int64_t>()[i];
  return static_cast<int64_t>(at(i));
}

}  // namespace npusim::compiler
