#include "cpu_run.hpp"

#include <chrono>
#include <filesystem>
#include <map>

#include "npusim/debug/golden_model.hpp"
#include "npusim/runtime/batch_images.hpp"
#include "npusim/runtime/errors.hpp"

namespace npusim::cli {

bool is_cpu_device(const std::string& devices) {
  return devices == "cpu";
}

std::vector<runtime::Tensor> run_on_cpu(const std::string& path, const runtime::Model& model,
                                        const std::vector<runtime::Tensor>& inputs,
                                        const runtime::ModelOptions& options, double* wall_ms) {
  if (std::filesystem::path(path).extension() != ".onnx")
    throw runtime::RuntimeError(
        runtime::RuntimeErrorKind::kModel,
        path +
            ": -d cpu runs the reference executor on an ONNX model; a .npub holds its NPU "
            "segments as code only: give the QDQ .onnx file it was compiled from");
  debug::GoldenOptions go;
  go.input_shapes = options.input_shapes;
  go.outputs = options.outputs;
  const debug::GoldenModel golden = debug::GoldenModel::load(path, go);
  compiler::TensorMap in;
  for (size_t i = 0; i < model.inputs().size(); ++i) in[model.inputs()[i].name] = inputs.at(i);
  const auto t0 = std::chrono::steady_clock::now();
  // A batch runs the golden model (one image's graph) image by image.
  const int batch = model.program().batch;
  compiler::TensorMap out;
  if (batch > 1) {
    std::map<std::string, std::vector<runtime::Tensor>> images;
    for (int64_t i = 0; i < batch; ++i) {
      compiler::TensorMap one;
      for (const auto& [name, value] : in) one[name] = runtime::image_of(value, i);
      for (auto& [name, value] : golden.run(one)) images[name].push_back(std::move(value));
    }
    for (const auto& [name, list] : images) out[name] = runtime::stack_images(list);
  } else {
    out = golden.run(in);
  }
  *wall_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::vector<runtime::Tensor> result;
  for (const auto& d : model.outputs()) result.push_back(out.at(d.name));
  return result;
}

}  // namespace npusim::cli
