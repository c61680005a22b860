// The blocking queue under npusim.runtime's sync create_queue: a
// runtime::create_queue pair. Contexts stay on the Python side; the C++
// queue carries their numbers.
#include <pybind11/stl.h>

#include <any>
#include <optional>

#include "arrays.hpp"
#include "bindings.hpp"
#include "errors.hpp"
#include "runner_options.hpp"

namespace npusim::python {

namespace {

class PyQueue {
 public:
  PyQueue(std::shared_ptr<runtime::Model> model, const py::dict& config) {
    RunnerSetup s = runner_setup(*model, config);
    lease_ = s.lease;
    py::gil_scoped_release unlocked;
    auto [submitter, receiver] = runtime::create_queue(std::move(model), std::move(s.options));
    submitter_.emplace(std::move(submitter));
    receiver_.emplace(std::move(receiver));
  }
  ~PyQueue() {
    py::gil_scoped_release unlocked;
    submitter_.reset();
    receiver_.reset();
    lease_.reset();
  }

  void submit(const py::sequence& inputs, uint64_t context) {
    if (!submitter_)
      throw runtime::RuntimeError(runtime::RuntimeErrorKind::kClosed, "the queue is closed");
    std::vector<compiler::Tensor> tensors = to_tensors(inputs, "input");
    py::gil_scoped_release unlocked;  // blocks while the input queue is full
    submitter_->submit(std::move(tensors), std::any(context));
  }

  // No more requests: recv() returns None once every result is taken.
  void close() {
    if (submitter_) submitter_->close();
  }

  // Finishes what is in flight, keeps the final statistics, releases the PEs.
  void release() {
    if (!receiver_) return;
    py::gil_scoped_release unlocked;
    submitter_->close();
    final_stats_ = receiver_->stats();
    submitter_.reset();
    receiver_.reset();
    lease_.reset();
  }

  // (context number, outputs, timing), or None once closed and drained. A
  // failed request raises its error with the attribute context_id.
  py::object recv(std::optional<double> timeout_s) {
    if (!receiver_)
      throw runtime::RuntimeError(runtime::RuntimeErrorKind::kClosed, "the queue is closed");
    std::optional<std::pair<std::any, runtime::Result>> item;
    std::exception_ptr failed;
    uint64_t failed_context = 0;
    {
      py::gil_scoped_release unlocked;
      try {
        item = timeout_s ? receiver_->recv(std::chrono::milliseconds(int64_t(*timeout_s * 1000.0)))
                         : receiver_->recv();
      } catch (const runtime::QueueError& e) {
        failed = std::make_exception_ptr(runtime::RuntimeError(e));
        failed_context = std::any_cast<uint64_t>(e.context());
      }
    }
    if (failed) {
      py::object error = python_error(failed);
      error.attr("context_id") = failed_context;
      PyErr_SetObject(py::type::handle_of(error).ptr(), error.ptr());
      throw py::error_already_set();
    }
    if (!item) return py::none();
    return py::make_tuple(std::any_cast<uint64_t>(item->first),
                          to_arrays(std::move(item->second.outputs)), item->second.timing);
  }

  runtime::SessionStats stats() {
    if (!receiver_) return final_stats_.value();
    py::gil_scoped_release unlocked;
    return receiver_->stats();
  }

 private:
  std::shared_ptr<DeviceLease> lease_;
  std::optional<runtime::Submitter> submitter_;
  std::optional<runtime::Receiver> receiver_;
  std::optional<runtime::SessionStats> final_stats_;
};

}  // namespace

void bind_queue(py::module_& m) {
  py::class_<PyQueue>(m, "QueueCore")
      .def(py::init<std::shared_ptr<runtime::Model>, py::dict>(), py::arg("model"),
           py::arg("config"))
      .def("submit", &PyQueue::submit, py::arg("inputs"), py::arg("context"))
      .def("close", &PyQueue::close)
      .def("release", &PyQueue::release)
      .def("recv", &PyQueue::recv, py::arg("timeout") = py::none())
      .def("stats", &PyQueue::stats);
}

}  // namespace npusim::python
