#include "quantize_sensitivity.hpp"

#include <cmath>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace npusim::cli {
namespace {

std::string db(double v) {
  if (std::isinf(v)) return v > 0 ? "exact" : "-inf";
  std::ostringstream s;
  s << std::fixed << std::setprecision(1) << v;
  return s.str();
}

nlohmann::json db_json(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nullptr;
}

// A CSV field: quoted when it holds a comma, a quote or a line break.
std::string csv(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  std::ostringstream s;
  s << std::setprecision(7) << v;
  return s.str();
}

// Long names keep their end, where exporters put what tells layers apart.
std::string tail(const std::string& s, size_t width) {
  return s.size() <= width ? s : ".." + s.substr(s.size() - (width - 2));
}

}  // namespace

void print_sensitivity(const SensitivityReport& r, size_t top) {
  std::cout << "\nsensitivity on " << r.inputs_note
            << ": output SQNR dB against FP32 with only this quantised, the rest float"
            << " (" << std::fixed << std::setprecision(1) << r.seconds << " s)\n";
  std::cout << "  " << std::right << std::setw(4) << "#" << std::setw(9) << "SQNR dB"
            << "  " << std::left << std::setw(11) << "kind" << std::setw(16) << "op"
            << std::setw(44) << "name"
            << "worst output\n";
  const size_t n = std::min(top, r.rows.size());
  for (size_t i = 0; i < n; ++i) {
    const auto& row = r.rows[i];
    std::cout << "  " << std::right << std::setw(4) << i + 1 << std::setw(9) << db(row.sqnr_db)
              << "  " << std::left << std::setw(11) << row.kind << std::setw(16) << tail(row.op, 15)
              << std::setw(44) << tail(row.name, 43)
              << (r.outputs.size() > 1 ? row.worst_output : "") << "\n";
  }
  std::cout << std::right;
  if (n < r.rows.size())
    std::cout << "  ... " << r.rows.size() - n
              << " more (--top N, or all in --sensitivity-json / --sensitivity-csv)\n";
}

std::string sensitivity_json(const SensitivityReport& r) {
  nlohmann::json rows = nlohmann::json::array();
  for (size_t i = 0; i < r.rows.size(); ++i) {
    const auto& row = r.rows[i];
    nlohmann::json outs = nlohmann::json::object();
    for (size_t k = 0; k < r.outputs.size() && k < row.outputs_db.size(); ++k)
      outs[r.outputs[k]] = db_json(row.outputs_db[k]);
    nlohmann::json j = {{"rank", i + 1},
                        {"kind", row.kind},
                        {"name", row.name},
                        {"op", row.op},
                        {"sqnr_db", db_json(row.sqnr_db)},
                        {"worst_output", row.worst_output},
                        {"outputs_db", outs}};
    if (row.kind == "activation") {
      j["lo"] = row.range.lo;
      j["hi"] = row.range.hi;
      j["scale"] = row.scale;
      j["zero_point"] = row.zero_point;
    }
    rows.push_back(j);
  }
  const nlohmann::json j = {{"format", "npusim-sensitivity-1"},
                            {"model", r.model},
                            {"inputs", r.inputs_note},
                            {"outputs", r.outputs},
                            {"rows", rows}};
  return j.dump(1) + "\n";
}

std::string sensitivity_csv(const SensitivityReport& r) {
  std::ostringstream s;
  s << "rank,kind,name,op,sqnr_db,worst_output,lo,hi,scale,zero_point";
  for (const auto& o : r.outputs) s << "," << csv("sqnr_db:" + o);
  s << "\n";
  for (size_t i = 0; i < r.rows.size(); ++i) {
    const auto& row = r.rows[i];
    const bool act = row.kind == "activation";
    s << i + 1 << "," << row.kind << "," << csv(row.name) << "," << csv(row.op) << ","
      << number(row.sqnr_db) << "," << csv(row.worst_output) << ","
      << (act ? number(row.range.lo) : "") << "," << (act ? number(row.range.hi) : "") << ","
      << (act ? number(row.scale) : "") << "," << (act ? std::to_string(row.zero_point) : "");
    for (double v : row.outputs_db) s << "," << number(v);
    s << "\n";
  }
  return s.str();
}

}  // namespace npusim::cli
