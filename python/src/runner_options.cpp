#include "runner_options.hpp"

#include <set>
#include <string>

#include "arrays.hpp"

namespace npusim::python {

namespace {

// An application stage from (name, function or None, cost_ns). The function
// gets the request's tensors as arrays and returns the new ones (or None to
// keep the arrays it was given, changed in place). It runs on the runtime's
// dispatcher thread, holding the GIL while it runs.
runtime::HostStage host_stage(const py::handle& spec) {
  runtime::HostStage stage;
  if (spec.is_none()) return stage;
  const auto t = spec.cast<py::tuple>();
  stage.name = t[0].cast<std::string>();
  stage.cost_ns = t[2].cast<double>();
  if (t[1].is_none()) {  // a cost on the timeline only
    stage.run = [](std::vector<compiler::Tensor>&) {};
    return stage;
  }
  stage.run = [fn = keep_python(py::reinterpret_borrow<py::object>(t[1])),
               name = stage.name](std::vector<compiler::Tensor>& tensors) {
    py::gil_scoped_acquire gil;
    try {
      py::list arrays = to_arrays(std::move(tensors));
      py::object result = (*fn)(arrays);
      tensors = stage_tensors(result.is_none() ? py::object(arrays) : result,
                              "the " + name + " stage's result");
    } catch (py::error_already_set& e) {
      // "ValueError: message" (the traceback, after a blank line, is left out).
      std::string what = e.what();
      what = what.substr(0, what.find("\n\nAt:"));
      throw std::runtime_error("the " + name + " stage raised " + what);
    }
  };
  return stage;
}

}  // namespace

std::shared_ptr<py::object> keep_python(py::object object) {
  return std::shared_ptr<py::object>(new py::object(std::move(object)), [](py::object* p) {
    py::gil_scoped_acquire gil;
    delete p;
  });
}

std::vector<compiler::Tensor> stage_tensors(const py::handle& result, const std::string& what) {
  std::vector<compiler::Tensor> out;
  if (py::isinstance<py::list>(result) || py::isinstance<py::tuple>(result)) {
    const auto items = result.cast<py::sequence>();
    for (size_t i = 0; i < items.size(); ++i)
      out.push_back(to_tensor(items[i], what + " " + std::to_string(i), true));
    return out;
  }
  out.push_back(to_tensor(result, what, true));
  return out;
}

RunnerSetup runner_setup(const runtime::Model& model, const py::dict& config) {
  static const std::set<std::string> known = {"devices", "worker_num",   "timing_only",
                                              "host",    "preprocess",   "postprocess",
                                              "timeout", "device_trace", "input_queue_size"};
  for (const auto& [key, value] : config)
    if (!known.count(py::str(key)))
      throw py::type_error("unknown runner setting " + std::string(py::str(key)));
  const auto get = [&](const char* key) -> py::object {
    if (!config.contains(key)) return py::none();
    return config[key];
  };
  RunnerSetup s;
  runtime::RunnerOptions& o = s.options;
  if (!get("devices").is_none()) o.devices = get("devices").cast<std::string>();
  if (!get("worker_num").is_none()) o.worker_num = get("worker_num").cast<int>();
  if (!get("host").is_none()) o.host = get("host").cast<runtime::HostCostModel>();
  o.preprocess = host_stage(get("preprocess"));
  o.postprocess = host_stage(get("postprocess"));
  if (!get("timeout").is_none()) {
    const double seconds = get("timeout").cast<double>();
    if (!(seconds > 0)) throw py::value_error("timeout must be positive (seconds)");
    o.timeout = std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000.0));
  }
  if (!get("device_trace").is_none()) o.device_trace = get("device_trace").cast<bool>();
  if (!get("input_queue_size").is_none())
    o.input_queue_size = get("input_queue_size").cast<size_t>();
  const bool timing_only = !get("timing_only").is_none() && get("timing_only").cast<bool>();
  s.lease = DeviceLease::acquire(model.program().hw, timing_only);
  o.transport = s.lease->transport();
  return s;
}

}  // namespace npusim::python
