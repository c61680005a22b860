// npusim debug: one run on the simulated NPU with every layer's int8 codes
// captured, compared layer by layer with the golden model (the reference
// executor), optionally with the golden model re-run on the device's own
// inputs of each layer (teacher-forced), with another runtime's dump and with
// the FP32 model (docs/debug.md).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "npusim/debug/code_compare.hpp"
#include "npusim/debug/golden_model.hpp"
#include "npusim/isa/transport.hpp"
#include "npusim/runtime/model.hpp"

namespace npusim::debug {

struct DebugOptions {
  runtime::ModelOptions model;  // hardware, target, compile cache
  std::string devices;          // the runtime's device string
  std::shared_ptr<isa::Transport> transport;
  // A program to run instead of compiling the model with every layer's codes
  // as outputs (e.g. one saved by an earlier debug run); the layers it does
  // not output are reported as not captured.
  std::string program_file;
  std::string save_program;     // write the capture program here
  bool teacher_forced = false;  // also run each golden layer on the device's inputs
  std::string against_dir;      // another runtime's tensors by name (read_dump)
  std::string fp32_model;       // the FP32 ONNX model the QDQ file was made from
};

struct LayerResult {
  GoldenLayer layer;
  std::string unit;  // "NPU", "CPU" or "" (not captured)
  compiler::Shape shape;
  bool captured = false;
  CodeStats reference;               // device vs golden model, each running freely
  std::optional<CodeStats> forced;   // device vs golden layer on the device's inputs
  std::optional<CodeStats> against;  // device vs the --against dump
  std::optional<FloatStats> fp32;    // dequantised device codes vs the FP32 tensor
};

struct DebugReport {
  std::string model, device;
  std::vector<LayerResult> layers;
  TensorMap device_codes;  // every captured code tensor
  // Index into layers of the first captured layer whose codes differ from
  // the golden model's (and from the dump's); -1 when none does.
  int first_reference_difference() const;
  int first_against_difference() const;
};

// The program the debug run runs: golden's file compiled (through the
// compile cache) with its outputs and every layer's codes as program
// outputs, or options.program_file. Saved to options.save_program if given.
std::shared_ptr<const runtime::Model> capture_program(const GoldenModel& golden,
                                                      const DebugOptions& options);

// Runs `program` on the device through the runtime with `inputs` (in
// program->inputs() order) and compares every layer with `golden`. Errors
// name the file and the reason.
DebugReport debug_model(const GoldenModel& golden,
                        const std::shared_ptr<const runtime::Model>& program,
                        const std::vector<Tensor>& inputs, const DebugOptions& options);

// Teacher forcing: `g` with each of `forced` that a node writes turned into a
// graph input (the node writes `value + "#own"` instead), so each layer runs
// on given inputs. Returns the values actually forced.
Graph force_values(const Graph& g, const std::vector<std::string>& forced,
                   std::vector<std::string>* applied);
std::string own_name(const std::string& value);

}  // namespace npusim::debug
