// ONNX node conformance through the whole toolchain (docs/conformance.md):
// the libonnx-testdata cases of the ops the NPU toolchain supports, each
// imported, quantised (float cases) or taken as is (quantised and integer
// cases), compiled for one PE and run on the simulated device through the
// runtime. This header is what the per-case tests and the summary share:
// the case list, the preparation of a case, its placement and the results
// the case tests leave for the summary.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "npusim/compiler/compile.hpp"
#include "npusim/compiler/executor.hpp"
#include "npusim/compiler/graph.hpp"

namespace npusim::conformance {

using compiler::Graph;
using compiler::Shape;
using compiler::Tensor;
using compiler::TensorMap;

// What a case is, by the dtypes and ops of its graph.
enum class Kind {
  kFloat,      // float32 activations: quantised on its own input, compared via ONNX Runtime
  kQuantised,  // QLinear*/…Integer/Q/DQ ops on integer codes: compiled as is, bit-exact
  kInteger,    // a listed op on plain integers (uint8 Add, int8 Clip, ...): as is, bit-exact
};
const char* kind_name(Kind k);

struct Case {
  std::string name;              // directory name, e.g. "test_conv_with_strides_padding"
  std::string dir;               // full path
  std::vector<std::string> ops;  // distinct op types, in graph order
  bool quantised = false;        // uses one of the quantised ops
  std::string skip;              // non-empty: why the case cannot apply (dtype, ...)
};

// Every case whose ops are all in the conformance list, by name: node/
// cases and the pytorch-converted depthwise and grouped convolutions.
const std::map<std::string, Case>& cases();
// Cases made only of listed ops but in a form outside the list (Resize
// mode=cubic): "name: reason", for the summary.
const std::vector<std::string>& out_of_scope();

// A case ready to compile.
struct Prepared {
  Kind kind = Kind::kFloat;
  Graph graph;                           // what is compiled (float cases: the QDQ file)
  std::string qdq_file;                  // float cases: the QDQ model ONNX Runtime runs too
  TensorMap feeds;                       // the activation inputs, by name
  std::vector<std::string> constants;    // graph inputs made initializers (weights, shapes, ...)
  std::vector<std::string> outputs;      // graph outputs, in output_N.pb order
  std::vector<Tensor> expected;          // output_N.pb
  std::map<std::string, double> step;    // float output -> its quantisation step (0: float)
  std::vector<std::string> quant_notes;  // the quantizer's notes
  // A float case the quantizer quantised nothing of (a lone data movement,
  // Sub, PRelu, ...): the harness put Q -> DQ at its boundary itself.
  bool boundary_qdq = false;
};

// Imports the case, turns every input its op reads as a parameter into an
// initializer (all but position 0 of a node, and both operands of
// Add/Sub/Mul/Concat), and for float cases quantises it (minmax-asym on
// the case's own inputs, no bias correction) into `work_dir`/qdq.onnx,
// which is read back. Where the quantizer quantises nothing, Q -> DQ go
// at the graph's float inputs and outputs (minmax of the case's own
// values; outputs of data movement share their input's parameters, as the
// quantizer does inside a model). Throws on errors (a failure of the case).
Prepared prepare(const Case& c, const std::string& work_dir);

compiler::CompileOptions compile_options();

// Where the ops of a compiled case ran: "NPU" if all of them (the case's
// own ops, not the Q/DQ pairs the quantizer put at the float boundary) are
// on the NPU, else "CPU"; `cpu` lists "op: reason" for those that are not.
struct Placement {
  bool all_npu = true;
  std::vector<std::string> npu, cpu;
};
Placement placement(const Case& c, const compiler::CompileResult& r);

// What a case test leaves for the summary, in a file beside the binary
// (ignored by a summary of another build of the binary).
struct Result {
  std::string status;  // "pass", "fail"
  std::string unit;    // "NPU" or "CPU"
  std::string detail;  // e.g. "3 elements 1 LSB off"
};
void save_result(const std::string& name, const Result& r);
std::map<std::string, Result> load_results();

}  // namespace npusim::conformance
