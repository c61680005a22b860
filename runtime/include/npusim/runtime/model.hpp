// A model ready to run: a compiled program (.npub), or an ONNX model
// compiled on the fly through a compile cache, with the metadata of its
// inputs and outputs.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "npusim/compiler/tensor.hpp"
#include "npusim/isa/hw_params.hpp"
#include "npusim/isa/program.hpp"

namespace npusim::compiler {
struct Graph;
}

namespace npusim::runtime {

using compiler::DType;
using compiler::Shape;
using compiler::Tensor;

// One model input or output as the application sees it.
struct TensorDesc {
  std::string name;
  Shape shape;
  DType dtype = DType::kFloat32;
  std::string layout;  // "NCHW", "NHWC" or "" (not an image)
  float scale = 1.0f;  // quantisation of int8/uint8 tensors
  int32_t zero_point = 0;
  bool quantized() const { return dtype == DType::kInt8 || dtype == DType::kUint8; }
  std::string describe() const;  // "images: float32 1x3x640x640 NCHW"
};

struct ModelOptions {
  isa::HwParams hw;  // the device's parameters (a .npub must match them)
  isa::Mode target = isa::Mode::kSingle;
  std::map<std::string, Shape> input_shapes;  // ONNX only: dynamic dims
  std::vector<std::string> outputs;           // ONNX only: cut the graph here
  // Images per request. ONNX: compiled for this batch (0 or 1: one image;
  // docs/compiler.md, "Batches"). A .npub must have been compiled for it
  // (0: whatever it was compiled for). Model::inputs() lead with the batch.
  int batch = 0;
  // ONNX only: compiled programs are kept here, keyed by the model's bytes,
  // these options and the hardware. Default ${NPUSIM_CACHE:-~/.cache/npusim}/compiled;
  // "none" compiles every time.
  std::string cache_dir;
};

class Model {
 public:
  // Loads a .npub (checked against options.hw and verified) or compiles an
  // ONNX file (.onnx). Errors name the file and the reason.
  static std::shared_ptr<const Model> load(const std::string& path,
                                           const ModelOptions& options = {});
  static std::shared_ptr<const Model> from_program(isa::Program program, const std::string& origin,
                                                   const isa::HwParams& hw);
  ~Model();

  const std::string& origin() const { return origin_; }
  const std::vector<TensorDesc>& inputs() const { return inputs_; }
  const std::vector<TensorDesc>& outputs() const { return outputs_; }
  const isa::Program& program() const { return program_; }
  // Compilation: whether it came from the cache, and how long it took.
  bool compiled_from_onnx() const { return compiled_; }
  bool cache_hit() const { return cache_hit_; }
  double compile_ms() const { return compile_ms_; }
  // FNV-1a (64-bit, hex) of the file the model was loaded from; "" for
  // in-memory programs. Reports use it to name exactly what ran.
  const std::string& source_hash() const { return source_hash_; }

  // The ONNX graph of CPU segment `index` (into program().segments).
  const compiler::Graph& cpu_graph(size_t index) const;
  const TensorDesc* find_input(const std::string& name) const;
  const TensorDesc* find_output(const std::string& name) const;

 private:
  Model() = default;
  static std::shared_ptr<Model> build(isa::Program program, const std::string& origin,
                                      const isa::HwParams& hw);
  static std::shared_ptr<Model> load_onnx(const std::string& bytes, const std::string& path,
                                          const ModelOptions& options);
  void describe_io();
  void import_cpu_segments();

  std::string origin_, source_hash_;
  isa::Program program_;
  std::vector<TensorDesc> inputs_, outputs_;
  std::map<size_t, std::unique_ptr<compiler::Graph>> cpu_graphs_;
  bool compiled_ = false, cache_hit_ = false;
  double compile_ms_ = 0;
};

}  // namespace npusim::runtime
