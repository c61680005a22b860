// BlazeFace on the simulated NPU from a program outside the npusim tree
// (built by examples/cpp/CMakeLists.txt or with pkg-config against the
// installed package). Prints each output's checksum, the exact simulated
// timing and the faces; examples/python/blazeface_run.py prints the same
// lines through the Python package, and the packaging test compares them.
//
//   blazeface_run MODEL(.npub|.int8.onnx) PHOTO [DEVICE]
#include <spdlog/spdlog.h>

#include <cstdint>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "npusim/compiler/calibration.hpp"
#include "npusim/runtime/runner.hpp"
#include "npusim/sim/in_process_device.hpp"
#include "npusim/vision/blazeface.hpp"

using namespace npusim;

namespace {

// FNV-1a, 64 bits: a checksum both programs can compute.
uint64_t fnv1a(const std::vector<uint8_t>& bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (uint8_t b : bytes) {
    h ^= b;
    h *= 0x100000001b3ull;
  }
  return h;
}

int run(const std::string& model_path, const std::string& photo, const std::string& device) {
  const isa::HwParams hw = isa::preset("warboy");
  runtime::ModelOptions mo;
  mo.hw = hw;
  const auto model = runtime::Model::load(model_path, mo);

  // MediaPipe's convention: RGB in [-1, 1], stretched to the input's size.
  compiler::ImagePreprocess pp;
  pp.scale = 2.0f / 255.0f;
  pp.mean = {1.0f};
  const compiler::Tensor input = compiler::load_image(photo, model->inputs().at(0).shape, pp).at(0);

  runtime::RunnerOptions ro;
  ro.transport = sim::in_process_device({hw, false});
  ro.devices = device;
  runtime::Runner runner(model, ro);
  std::vector<compiler::Tensor> outputs = runner.run({input});
  const runtime::RequestTiming& t = runner.last_timing();

  std::printf("device     %s\n", t.device.c_str());
  compiler::TensorMap named;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const auto& d = model->outputs()[i];
    std::printf("output     %s %s %s fnv1a %016llx\n", d.name.c_str(),
                std::string(compiler::dtype_name(outputs[i].dtype())).c_str(),
                compiler::shape_string(outputs[i].shape()).c_str(),
                static_cast<unsigned long long>(fnv1a(outputs[i].raw())));
    named[d.name] = outputs[i];
  }
  std::printf(
      "timing_ps  latency %llu host %llu h2d %llu compute %llu d2h %llu device %llu\n",
      static_cast<unsigned long long>(t.latency_ps()), static_cast<unsigned long long>(t.host_ps),
      static_cast<unsigned long long>(t.h2d_ps), static_cast<unsigned long long>(t.compute_ps),
      static_cast<unsigned long long>(t.d2h_ps), static_cast<unsigned long long>(t.device_ps));
  const std::vector<vision::Box> faces = vision::decode_blazeface(named);
  std::printf("faces      %zu\n", faces.size());
  for (const auto& f : faces)
    std::printf("face       score %.6f box %.6f %.6f %.6f %.6f\n", f.score, f.x0, f.y0, f.x1, f.y1);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: blazeface_run MODEL PHOTO [DEVICE]\n");
    return 2;
  }
  spdlog::set_level(
      spdlog::level::warn);  // the driver's log (info: PEs opened) as the CLI keeps it
  try {
    return run(argv[1], argv[2], argc > 3 ? argv[3] : "npu0pe0");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "blazeface_run: %s\n", e.what());
    return 1;
  }
}
