// ONNX files <-> the graph IR, through Debian's libonnx (the only place the
// generated protobuf header is included).
#pragma once

#include <map>
#include <string>

#include "npusim/compiler/graph.hpp"

namespace npusim::compiler {

struct ImportOptions {
  // Overrides for dynamic (or any) input dims: name -> shape.
  std::map<std::string, Shape> input_shapes;
  // > 0: compiling for a batch of this many images (CompileOptions::batch).
  // An input whose leading dim is dynamic gets 1 there (the graph is one
  // image's; the compiler loops over the batch), also when --input-shape
  // gave it as the batch; fixed dims stay for the compiler to check.
  int64_t batch = 0;
  bool run_checker = true;
  bool infer_shapes = true;
  // Converts the model to at least this opset first (0 = keep), e.g. 13 for
  // per-channel quantisation axes.
  int64_t min_opset = 0;
};

// Reads and checks an ONNX file; errors name the file and the reason.
Graph import_onnx(const std::string& path, const ImportOptions& options = {});
Graph import_onnx_bytes(const std::string& bytes, const std::string& origin,
                        const ImportOptions& options = {});

// Writes the graph as an ONNX model (opset graph.opset); atomically (temp + rename).
void export_onnx(const Graph& graph, const std::string& path);
std::string export_onnx_bytes(const Graph& graph);

}  // namespace npusim::compiler
