#include "npusim/runtime/batch_images.hpp"

#include <cstring>
#include <map>
#include <string>

#include "npusim/runtime/errors.hpp"

namespace npusim::runtime {

using compiler::Tensor;

int64_t images_per_run(const compiler::Graph& g, int batch) {
  if (batch <= 1) return batch;
  for (const auto& in : g.inputs) {
    const compiler::Shape& s = g.value(in).shape;
    if (s.empty() || s[0] != 1) return batch;
  }
  return g.inputs.empty() ? batch : 1;
}

Tensor image_of(const Tensor& t, int64_t i) {
  if (t.shape().empty() || i < 0 || i >= t.shape()[0])
    throw RuntimeError(RuntimeErrorKind::kInvalidInput, "image " + std::to_string(i) +
                                                            " of a tensor of shape " +
                                                            compiler::shape_string(t.shape()));
  compiler::Shape shape = t.shape();
  const uint64_t bytes = t.bytes() / uint64_t(shape[0]);
  shape[0] = 1;
  Tensor out(t.dtype(), shape);
  std::memcpy(out.raw().data(), t.raw().data() + uint64_t(i) * bytes, bytes);
  return out;
}

Tensor stack_images(const std::vector<Tensor>& images) {
  compiler::Shape shape = images.front().shape();
  const uint64_t bytes = images.front().bytes();
  shape[0] = int64_t(images.size());
  Tensor out(images.front().dtype(), shape);
  for (size_t i = 0; i < images.size(); ++i) {
    if (images[i].bytes() != bytes || images[i].dtype() != out.dtype())
      throw RuntimeError(RuntimeErrorKind::kInvalidInput,
                         "the images of a batch differ in shape or type (" +
                             compiler::shape_string(images[i].shape()) + " against " +
                             compiler::shape_string(images.front().shape()) + ")");
    std::memcpy(out.raw().data() + i * bytes, images[i].raw().data(), bytes);
  }
  return out;
}

compiler::TensorMap execute_per_image(const compiler::Graph& g, const compiler::TensorMap& inputs,
                                      int batch) {
  std::map<std::string, std::vector<Tensor>> outputs;
  for (int64_t i = 0; i < batch; ++i) {
    compiler::TensorMap one;
    for (const auto& [name, value] : inputs) one[name] = image_of(value, i);
    for (auto& [name, value] : compiler::execute(g, one)) outputs[name].push_back(std::move(value));
  }
  compiler::TensorMap out;
  for (const auto& [name, images] : outputs) out[name] = stack_images(images);
  return out;
}

}  // namespace npusim::runtime
