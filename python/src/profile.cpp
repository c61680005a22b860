// The pieces npusim.profile() (python/npusim/_profile.py) puts together,
// shared with `npusim profile`: the per-layer table from the device trace,
// the program's SRAM use and the HTML report.
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "npusim/report/profile_html.hpp"
#include "npusim/runtime/layer_profile.hpp"
#include "npusim/runtime/model.hpp"
#include "npusim/runtime/program_memory.hpp"

namespace npusim::python {

namespace {

py::list layer_rows(const runtime::Model& model, const runtime::SessionStats& stats,
                    uint64_t request, const runtime::HostCostModel& host) {
  std::vector<runtime::LayerRow> rows;
  {
    py::gil_scoped_release unlocked;
    rows = runtime::layer_table(model, stats, request, host);
  }
  py::list out;
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    py::dict d;
    d["index"] = i;
    d["segment"] = r.segment;
    d["name"] = r.name;
    d["op"] = r.op;
    d["unit"] = r.unit;
    d["reason"] = r.reason;
    d["cycles"] = r.cycles;
    d["time_us"] = r.time_us;
    d["macs"] = r.macs;
    d["utilisation"] = r.utilisation;
    d["dma_bytes"] = r.dma_bytes;
    d["start_us"] = double(r.start_ps) / 1e6;
    d["end_us"] = double(r.end_ps) / 1e6;
    out.append(d);
  }
  return out;
}

}  // namespace

void bind_profile(py::module_& m) {
  m.def("layer_table", &layer_rows, py::arg("model"), py::arg("stats"), py::arg("request"),
        py::arg("host"));
  m.def(
      "sram_high_water",
      [](const runtime::Model& model) { return runtime::sram_high_water(model.program()); },
      py::arg("model"), "the highest SRAM byte the program touches on a PE");
  m.def(
      "profile_html",
      [](const std::string& json) { return report::profile_html(nlohmann::json::parse(json)); },
      py::arg("profile_json"), "the single-file HTML report of a profile (JSON text)");
}

}  // namespace npusim::python
