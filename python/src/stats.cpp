// What runs report: each request's simulated timing, the PEs' counters, a
// runner's session statistics and timeline, and the host cost model that
// places host work on the timeline. Times are integer picoseconds (*_ps),
// with microsecond views (*_us) for printing.
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "npusim/runtime/host_cost.hpp"
#include "npusim/runtime/runner.hpp"
#include "npusim/runtime/trace.hpp"

namespace npusim::python {

namespace {

using runtime::RequestTiming;

double us(uint64_t ps) {
  return double(ps) / 1e6;
}

py::dict timing_dict(const RequestTiming& t) {
  py::dict d;
  d["request"] = t.request;
  d["device"] = t.device;
  d["latency_ps"] = t.latency_ps();
  for (const auto& [name, value] : {std::pair{"start_ps", t.start_ps},
                                    {"end_ps", t.end_ps},
                                    {"host_ps", t.host_ps},
                                    {"cpu_ps", t.cpu_ps},
                                    {"h2d_ps", t.h2d_ps},
                                    {"compute_ps", t.compute_ps},
                                    {"d2h_ps", t.d2h_ps},
                                    {"device_ps", t.device_ps},
                                    {"host_wait_ps", t.host_wait_ps}})
    d[name] = value;
  return d;
}

}  // namespace

void bind_stats(py::module_& m) {
  py::class_<RequestTiming>(m, "Timing", R"(Where one request's time went, simulated.

latency = end - start (admission to result); host: the host lanes (input
checks, quantise/layout, CPU segments, driver commands, application stages),
of which cpu: CPU segments; h2d, compute, d2h: the device commands; device:
from submitting the commands to the last completion; host_wait: waiting for
a free host lane.)")
      .def_readonly("request", &RequestTiming::request)
      .def_readonly("device", &RequestTiming::device)
      .def_readonly("start_ps", &RequestTiming::start_ps)
      .def_readonly("end_ps", &RequestTiming::end_ps)
      .def_readonly("host_ps", &RequestTiming::host_ps)
      .def_readonly("cpu_ps", &RequestTiming::cpu_ps)
      .def_readonly("h2d_ps", &RequestTiming::h2d_ps)
      .def_readonly("compute_ps", &RequestTiming::compute_ps)
      .def_readonly("d2h_ps", &RequestTiming::d2h_ps)
      .def_readonly("device_ps", &RequestTiming::device_ps)
      .def_readonly("host_wait_ps", &RequestTiming::host_wait_ps)
      .def_property_readonly("latency_ps", &RequestTiming::latency_ps)
      .def_property_readonly("latency_us",
                             [](const RequestTiming& t) { return us(t.latency_ps()); })
      .def_property_readonly("host_us", [](const RequestTiming& t) { return us(t.host_ps); })
      .def_property_readonly("cpu_us", [](const RequestTiming& t) { return us(t.cpu_ps); })
      .def_property_readonly("h2d_us", [](const RequestTiming& t) { return us(t.h2d_ps); })
      .def_property_readonly("compute_us", [](const RequestTiming& t) { return us(t.compute_ps); })
      .def_property_readonly("d2h_us", [](const RequestTiming& t) { return us(t.d2h_ps); })
      .def_property_readonly("device_us", [](const RequestTiming& t) { return us(t.device_ps); })
      .def("to_dict", &timing_dict)
      .def("__repr__", [](const RequestTiming& t) {
        char s[200];
        std::snprintf(s, sizeof s,
                      "<Timing request %llu on %s: latency %.1f us (host %.1f, h2d %.1f, compute "
                      "%.1f, d2h %.1f)>",
                      static_cast<unsigned long long>(t.request), t.device.c_str(),
                      us(t.latency_ps()), us(t.host_ps), us(t.h2d_ps), us(t.compute_ps),
                      us(t.d2h_ps));
        return std::string(s);
      });

  py::class_<runtime::PeUtilisation>(m, "PeCounters", R"(A PE's hardware counters over an interval.

cycles: device cycles; task_cycles: running a program; tensor_cycles: the
matrix/vector unit busy; npu_percent = task/cycles, comp_percent =
tensor/task, io_percent = 100 - comp_percent (of the running time).)")
      .def_readonly("pe", &runtime::PeUtilisation::pe)
      .def_readonly("cycles", &runtime::PeUtilisation::cycles)
      .def_readonly("task_cycles", &runtime::PeUtilisation::task_cycles)
      .def_readonly("tensor_cycles", &runtime::PeUtilisation::tensor_cycles)
      .def_readonly("dma_bytes", &runtime::PeUtilisation::dma_bytes)
      .def_readonly("dma_busy_cycles", &runtime::PeUtilisation::dma_busy_cycles)
      .def_readonly("sram_bytes", &runtime::PeUtilisation::sram_bytes)
      .def_property_readonly("npu_percent", &runtime::PeUtilisation::npu_percent)
      .def_property_readonly("comp_percent", &runtime::PeUtilisation::comp_percent)
      .def_property_readonly("io_percent", &runtime::PeUtilisation::io_percent)
      .def("__repr__", [](const runtime::PeUtilisation& p) {
        char s[160];
        std::snprintf(s, sizeof s, "<PeCounters %s: %llu cycles, NPU%% %.1f, Comp%% %.1f>",
                      p.pe.c_str(), static_cast<unsigned long long>(p.cycles), p.npu_percent(),
                      p.comp_percent());
        return std::string(s);
      });

  py::class_<runtime::TimelineEvent>(m, "TimelineEvent")
      .def_readonly("lane", &runtime::TimelineEvent::lane)
      .def_readonly("name", &runtime::TimelineEvent::name)
      .def_readonly("start_ps", &runtime::TimelineEvent::start_ps)
      .def_readonly("end_ps", &runtime::TimelineEvent::end_ps)
      .def_readonly("request", &runtime::TimelineEvent::request);

  py::class_<runtime::LayerEvent>(m, "LayerEvent")
      .def_readonly("request", &runtime::LayerEvent::request)
      .def_readonly("segment", &runtime::LayerEvent::segment)
      .def_readonly("layer", &runtime::LayerEvent::layer)
      .def_readonly("name", &runtime::LayerEvent::name)
      .def_readonly("op", &runtime::LayerEvent::op)
      .def_readonly("pe", &runtime::LayerEvent::pe)
      .def_readonly("engine", &runtime::LayerEvent::engine)
      .def_readonly("start_ps", &runtime::LayerEvent::start_ps)
      .def_readonly("end_ps", &runtime::LayerEvent::end_ps)
      .def_readonly("busy_ps", &runtime::LayerEvent::busy_ps)
      .def_readonly("instructions", &runtime::LayerEvent::instructions)
      .def_readonly("macs", &runtime::LayerEvent::macs)
      .def_readonly("dma_bytes", &runtime::LayerEvent::dma_bytes);

  py::class_<runtime::SessionStats>(m, "SessionStats", "What a runner measured over its life.")
      .def_readonly("requests", &runtime::SessionStats::requests)
      .def_readonly("failed", &runtime::SessionStats::failed)
      .def_readonly("device_resets", &runtime::SessionStats::device_resets)
      .def_readonly("first_start_ps", &runtime::SessionStats::first_start_ps)
      .def_readonly("last_end_ps", &runtime::SessionStats::last_end_ps)
      .def_property_readonly("span_ps", &runtime::SessionStats::span_ps,
                             "from the first request's start to the last one's end")
      .def_property_readonly("span_us",
                             [](const runtime::SessionStats& s) { return us(s.span_ps()); })
      .def_readonly("timings", &runtime::SessionStats::timings, "per request, in finishing order")
      .def_readonly("timeline", &runtime::SessionStats::timeline)
      .def_readonly("pes", &runtime::SessionStats::pes)
      .def_readonly("dram_bytes", &runtime::SessionStats::dram_bytes)
      .def_readonly("layer_events", &runtime::SessionStats::layer_events)
      .def_readonly("trace_records_lost", &runtime::SessionStats::trace_records_lost)
      .def("chrome_trace", &runtime::chrome_trace,
           "the timeline as Chrome/Perfetto trace JSON (open in ui.perfetto.dev)");

  py::class_<runtime::HostCostModel>(m, "HostCostModel",
                                     R"(How long host work takes on the timeline.

docs/runtime.md ("Time") lists the defaults; measured=True uses the wall
time of the real work instead (not reproducible).)")
      .def(py::init([](const isa::HwParams& hw) { return runtime::HostCostModel::from(hw); }),
           py::arg("hw"))
      .def_readwrite("measured", &runtime::HostCostModel::measured)
      .def_readwrite("cores", &runtime::HostCostModel::cores)
      .def_readwrite("command_ns", &runtime::HostCostModel::command_ns)
      .def_readwrite("request_ns", &runtime::HostCostModel::request_ns)
      .def_readwrite("copy_ns_per_byte", &runtime::HostCostModel::copy_ns_per_byte)
      .def_readwrite("node_ns", &runtime::HostCostModel::node_ns)
      .def_readwrite("ns_per_element", &runtime::HostCostModel::ns_per_element)
      .def_readwrite("ns_per_mac", &runtime::HostCostModel::ns_per_mac);
}

}  // namespace npusim::python
