// Tensors of the compiler and the reference executor: a dtype, a shape and
// (for constants and executor values) the data, stored as raw bytes.
#pragma once

#include <cstdint>
#include <cstring>
#include <map>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace npusim::compiler {

enum class DType : uint8_t { kUndefined, kFloat32, kUint8, kInt8, kInt32, kInt64, kBool };

std::string_view dtype_name(DType t);
size_t dtype_size(DType t);
DType dtype_from_name(std::string_view name);  // "float32", "int8", ... (throws on unknown)

using Shape = std::vector<int64_t>;
int64_t element_count(const Shape& s);
std::string shape_string(const Shape& s);  // "1x3x224x224"

class Tensor {
 public:
  Tensor() = default;
  Tensor(DType dtype, Shape shape);  // zero-filled
  template <typename T>
  static Tensor from(DType dtype, Shape shape, const std::vector<T>& values);

  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int64_t size() const { return element_count(shape_); }
  size_t bytes() const { return data_.size(); }
  bool empty() const { return data_.empty(); }
  void reshape(Shape s);

  template <typename T>
  std::span<T> as() {
    check<T>();
    return {reinterpret_cast<T*>(data_.data()), data_.size() / sizeof(T)};
  }
  template <typename T>
  std::span<const T> as() const {
    check<T>();
    return {reinterpret_cast<const T*>(data_.data()), data_.size() / sizeof(T)};
  }
  std::vector<uint8_t>& raw() { return data_; }
  const std::vector<uint8_t>& raw() const { return data_; }

  // Element i converted to double / int64 whatever the dtype (slow; for small tensors).
  double at(int64_t i) const;
  int64_t int_at(int64_t i) const;

 private:
  template <typename T>
  void check() const {
    if (sizeof(T) != dtype_size(dtype_))
      throw std::logic_error("tensor of " + std::string(dtype_name(dtype_)) +
                             " accessed with an element type of another size");
  }
  DType dtype_ = DType::kUndefined;
  Shape shape_;
  std::vector<uint8_t> data_;
};

template <typename T>
Tensor Tensor::from(DType dtype, Shape shape, const std::vector<T>& values) {
  Tensor t(dtype, std::move(shape));
  if (values.size() != static_cast<size_t>(t.size()))
    throw std::invalid_argument("Tensor::from: value count does not match the shape");
  std::memcpy(t.data_.data(), values.data(), t.data_.size());
  return t;
}

// Tensors by value name (graph inputs, outputs, intermediates).
using TensorMap = std::map<std::string, Tensor>;

}  // namespace npusim::compiler
