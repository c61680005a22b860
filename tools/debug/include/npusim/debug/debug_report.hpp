// A debug run's per-layer table as text, JSON and CSV (docs/debug.md).
#pragma once

#include <string>

#include "npusim/debug/layer_debug.hpp"

namespace npusim::debug {

// What the device was compared with, for the report's header.
struct ReportContext {
  std::string against;  // "reference executor" or the dump folder
  bool against_dump = false;
};

// The table: per layer name, op, unit, shape, exact %, within-1 %, max |diff|
// in LSB (against the dump when given, else the golden model), the
// teacher-forced columns when run, SQNR and cosine against FP32 when given;
// then the first layer that differs and by how much.
std::string report_text(const DebugReport& r, const ReportContext& c);
std::string report_json(const DebugReport& r, const ReportContext& c);
std::string report_csv(const DebugReport& r);

// "layer 12 'conv2d_3/BiasAdd' (QConv, NPU): 35 of 98304 codes differ, max 3 LSB"
// for r.layers[index].
std::string describe_difference(const DebugReport& r, int index, bool against_dump);

}  // namespace npusim::debug
