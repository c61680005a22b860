// RunnerOptions from the Python side's settings, with the device lease that
// must live as long as the runner, and the application stages that call
// back into Python.
#pragma once

#include <pybind11/pybind11.h>

#include <memory>
#include <vector>

#include "device.hpp"
#include "npusim/runtime/runner.hpp"

namespace npusim::python {

namespace py = pybind11;

struct RunnerSetup {
  runtime::RunnerOptions options;
  std::shared_ptr<DeviceLease> lease;
};

// `config` keys (npusim/runtime.py fills them): devices, worker_num,
// timing_only, host (HostCostModel or None), preprocess and postprocess
// ((name, function or None, cost_ns) or None), timeout (seconds),
// device_trace, input_queue_size. The device runs with the hardware the
// model was compiled for.
RunnerSetup runner_setup(const runtime::Model& model, const py::dict& config);

// A Python object whose last reference may be dropped on a thread without
// the GIL (the runtime's dispatcher): the deleter takes the GIL.
std::shared_ptr<py::object> keep_python(py::object object);

// The results of a stage or callback as tensors: one array, or a list or
// tuple of arrays (float64 narrowed to float32). TypeError naming `what`.
std::vector<compiler::Tensor> stage_tensors(const py::handle& result, const std::string& what);

}  // namespace npusim::python
