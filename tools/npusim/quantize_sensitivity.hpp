// npusim quantize --sensitivity: the per-layer sensitivity table
// (compiler/sensitivity.hpp) on the console, as JSON and as CSV.
#pragma once

#include <string>
#include <vector>

#include "npusim/compiler/sensitivity.hpp"

namespace npusim::cli {

struct SensitivityReport {
  std::vector<compiler::SensitivityRow> rows;
  std::vector<std::string> outputs;  // the graph outputs, in the rows' outputs_db order
  std::string model, inputs_note;
  double seconds = 0;
};

// The `top` worst rows.
void print_sensitivity(const SensitivityReport& r, size_t top);
// {"format":"npusim-sensitivity-1","model":..,"inputs":..,"outputs":[..],
//  "rows":[{"rank":1,"kind":..,"name":..,"op":..,"sqnr_db":..,"worst_output":..,
//           "outputs_db":{name: dB},"lo":..,"hi":..,"scale":..,"zero_point":..}]};
// infinite SQNR (no change) is written as null.
std::string sensitivity_json(const SensitivityReport& r);
// rank,kind,name,op,sqnr_db,worst_output,lo,hi,scale,zero_point,<one column per output>
std::string sensitivity_csv(const SensitivityReport& r);

}  // namespace npusim::cli
