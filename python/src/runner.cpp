// The runner core under npusim.runtime's Runner, its asyncio variant and
// run_async tasks: a runtime::AsyncRunner (worker_num requests in flight)
// holding the device lease. Every wait releases the GIL, so other Python
// threads and the runtime's own callbacks into Python keep going.
#include <pybind11/stl.h>

#include <optional>

#include "arrays.hpp"
#include "bindings.hpp"
#include "errors.hpp"
#include "runner_options.hpp"

namespace npusim::python {

namespace {

using runtime::Model;
using runtime::PeUtilisation;

// (outputs as arrays, timing)
py::tuple result_tuple(runtime::Result&& r) {
  return py::make_tuple(to_arrays(std::move(r.outputs)), r.timing);
}

std::vector<PeUtilisation> counter_deltas(const std::vector<PeUtilisation>& before,
                                          const std::vector<PeUtilisation>& after) {
  std::vector<PeUtilisation> out;
  for (size_t i = 0; i < after.size() && i < before.size(); ++i) {
    PeUtilisation d;
    static_cast<driver::Counters&>(d) = after[i] - before[i];
    d.pe = after[i].pe;
    out.push_back(d);
  }
  return out;
}

// A pending result of run_async (RBLN's task.wait(), for code without asyncio).
class PyFuture {
 public:
  explicit PyFuture(runtime::Future f) : future_(std::move(f)) {}
  bool ready() const { return taken_ || future_.ready(); }
  py::tuple wait(std::optional<double> timeout_s) {
    if (!future_.valid()) throw py::value_error("wait() was already called on this task");
    runtime::Result r;
    {
      py::gil_scoped_release unlocked;
      r = timeout_s ? future_.get(std::chrono::milliseconds(int64_t(*timeout_s * 1000.0)))
                    : future_.get();
    }
    taken_ = true;
    return result_tuple(std::move(r));
  }

 private:
  runtime::Future future_;
  bool taken_ = false;  // wait() returned: the result has been handed out
};

class PyRunner {
 public:
  PyRunner(std::shared_ptr<Model> model, const py::dict& config) : model_(std::move(model)) {
    RunnerSetup s = runner_setup(*model_, config);
    lease_ = s.lease;
    py::gil_scoped_release unlocked;  // places the program in device memory
    runner_.emplace(model_, std::move(s.options));
  }
  ~PyRunner() {
    py::gil_scoped_release unlocked;  // the session finishes its requests (callbacks need the GIL)
    runner_.reset();
    lease_.reset();
  }

  std::shared_ptr<Model> model() const { return model_; }

  // One request, waited for: (outputs, timing, the PEs' counters over it).
  py::tuple run(const py::sequence& inputs) {
    std::vector<compiler::Tensor> tensors = to_tensors(inputs, "input");
    runtime::Result r;
    std::vector<PeUtilisation> before, after;
    {
      py::gil_scoped_release unlocked;
      before = runner().pe_counters();
      r = runner().run_async(std::move(tensors)).get();
      after = runner().pe_counters();
    }
    return py::make_tuple(to_arrays(std::move(r.outputs)), r.timing, counter_deltas(before, after));
  }

  PyFuture submit(const py::sequence& inputs) {
    std::vector<compiler::Tensor> tensors = to_tensors(inputs, "input");
    py::gil_scoped_release unlocked;
    return PyFuture(runner().run_async(std::move(tensors)));
  }

  // `callback(outputs, timing, error)` runs on the runtime's thread with the
  // GIL; asyncio hands it to the event loop.
  void submit_callback(const py::sequence& inputs, py::function callback) {
    std::vector<compiler::Tensor> tensors = to_tensors(inputs, "input");
    auto fn = keep_python(std::move(callback));
    runner().run_async(std::move(tensors), [fn](runtime::Result r, std::exception_ptr error) {
      py::gil_scoped_acquire gil;
      try {
        if (error)
          (*fn)(py::none(), py::none(), python_error(error));
        else
          (*fn)(to_arrays(std::move(r.outputs)), r.timing, py::none());
      } catch (py::error_already_set& e) {
        e.discard_as_unraisable("npusim: a result callback");
      }
    });
  }

  // Holds the GIL on purpose: the event loop checks "nothing left to do"
  // and marks it in one step; `results_seen` catches a result delivered in
  // between (docs/runtime.md, "Time").
  bool mark_idle(uint64_t results_seen) { return runner().mark_idle(results_seen); }

  void wait_all() {
    py::gil_scoped_release unlocked;
    runner().wait_all();
  }

  runtime::SessionStats stats() {
    if (!runner_ && final_stats_) return *final_stats_;
    py::gil_scoped_release unlocked;
    return runner().stats();
  }

  std::vector<PeUtilisation> pe_counters() {
    py::gil_scoped_release unlocked;
    return runner().pe_counters();
  }

  // Finishes the requests in flight, keeps the final statistics and
  // releases the PEs and the device lease, whoever still refers to this.
  void close() {
    if (!runner_) return;
    py::gil_scoped_release unlocked;
    runner_->close();
    final_stats_ = runner_->stats();
    runner_.reset();
    lease_.reset();
  }

 private:
  runtime::AsyncRunner& runner() {
    if (!runner_)
      throw runtime::RuntimeError(runtime::RuntimeErrorKind::kClosed, "the runner is closed");
    return *runner_;
  }

  std::shared_ptr<Model> model_;
  std::shared_ptr<DeviceLease> lease_;
  std::optional<runtime::AsyncRunner> runner_;
  std::optional<runtime::SessionStats> final_stats_;
};

}  // namespace

void bind_runner(py::module_& m) {
  py::class_<PyFuture>(m, "Future")
      .def("ready", &PyFuture::ready)
      .def("wait", &PyFuture::wait, py::arg("timeout") = py::none(),
           "(outputs, timing); raises the request's error");
  py::class_<PyRunner>(m, "RunnerCore")
      .def(py::init<std::shared_ptr<Model>, py::dict>(), py::arg("model"), py::arg("config"))
      .def_property_readonly("model", &PyRunner::model)
      .def("run", &PyRunner::run, py::arg("inputs"))
      .def("submit", &PyRunner::submit, py::arg("inputs"))
      .def("submit_callback", &PyRunner::submit_callback, py::arg("inputs"), py::arg("callback"))
      .def("mark_idle", &PyRunner::mark_idle, py::arg("results_seen"))
      .def("wait_all", &PyRunner::wait_all)
      .def("stats", &PyRunner::stats)
      .def("pe_counters", &PyRunner::pe_counters)
      .def("close", &PyRunner::close);
}

}  // namespace npusim::python
