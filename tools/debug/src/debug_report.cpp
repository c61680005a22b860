#include "npusim/debug/debug_report.hpp"

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

namespace npusim::debug {
namespace {

using nlohmann::json;

std::string fixed(double v, int digits) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// Long exporter names keep their end, which says the most ("conv2d_3/BiasAdd").
std::string clip(const std::string& s, size_t width) {
  return s.size() <= width ? s : ".." + s.substr(s.size() - (width - 2));
}

const CodeStats& compared(const LayerResult& l, bool against_dump) {
  return against_dump && l.against ? *l.against : l.reference;
}

json stats_json(const CodeStats& s) {
  return {{"elements", s.elements},
          {"exact", s.exact},
          {"within_1", s.within_1},
          {"exact_percent", 100.0 * s.exact_share()},
          {"within_1_percent", 100.0 * s.within_1_share()},
          {"max_diff_lsb", s.max_diff}};
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

}  // namespace

std::string describe_difference(const DebugReport& r, int index, bool against_dump) {
  const LayerResult& l = r.layers.at(static_cast<size_t>(index));
  const CodeStats& s = compared(l, against_dump);
  std::ostringstream o;
  o << "layer " << index + 1 << " '" << l.layer.node << "' (" << l.layer.op << ", " << l.unit
    << ", tensor " << l.layer.tensor << "): " << s.elements - s.exact << " of " << s.elements
    << " codes differ, max " << s.max_diff << " LSB";
  return o.str();
}

std::string report_text(const DebugReport& r, const ReportContext& c) {
  const bool forced = !r.layers.empty() && r.layers.front().forced.has_value();
  bool fp32 = false;
  for (const auto& l : r.layers) fp32 = fp32 || l.fp32.has_value();
  std::ostringstream o;
  o << "model      " << r.model << "\ndevice     " << r.device << "\nagainst    " << c.against
    << (forced ? "; teacher-forced: the golden layer on the device's inputs" : "") << "\n";
  char line[512];
  std::snprintf(line, sizeof line, "%4s  %-40s %-16s %-4s %-14s %8s %8s %4s", "#", "layer", "op",
                "unit", "shape", "exact%", "<=1LSB%", "max");
  o << line << (forced ? "  forced: exact%  max" : "") << (fp32 ? "  SQNR dB  cosine" : "") << "\n";
  for (size_t i = 0; i < r.layers.size(); ++i) {
    const LayerResult& l = r.layers[i];
    if (!l.captured) {
      std::snprintf(line, sizeof line,
                    "%4zu  %-40s %-16s %-4s %-14s  not captured (not an output "
                    "of the program)",
                    i + 1, clip(l.layer.node, 40).c_str(), clip(l.layer.op, 16).c_str(), "-",
                    compiler::shape_string(l.shape).c_str());
      o << line << "\n";
      continue;
    }
    const CodeStats& s = compared(l, c.against_dump);
    const bool has = !c.against_dump || l.against;
    std::snprintf(line, sizeof line, "%4zu  %-40s %-16s %-4s %-14s %8s %8s %4s", i + 1,
                  clip(l.layer.node, 40).c_str(), clip(l.layer.op, 16).c_str(), l.unit.c_str(),
                  compiler::shape_string(l.shape).c_str(),
                  has ? fixed(100.0 * s.exact_share(), 3).c_str() : "-",
                  has ? fixed(100.0 * s.within_1_share(), 3).c_str() : "-",
                  has ? std::to_string(s.max_diff).c_str() : "-");
    o << line;
    if (forced && l.forced) {
      std::snprintf(line, sizeof line, "  %14s %4d",
                    fixed(100.0 * l.forced->exact_share(), 3).c_str(), l.forced->max_diff);
      o << line;
    }
    if (fp32) {
      std::snprintf(line, sizeof line, "  %7s  %6s",
                    l.fp32 ? fixed(l.fp32->sqnr_db, 1).c_str() : "-",
                    l.fp32 ? fixed(l.fp32->cosine, 4).c_str() : "-");
      o << line;
    }
    o << "\n";
  }
  size_t captured = 0;
  int64_t codes = 0;
  for (const auto& l : r.layers)
    if (l.captured) {
      ++captured;
      codes += l.reference.elements;
    }
  const int first = r.first_reference_difference();
  o << "reference  "
    << (first < 0 ? "every captured layer bit-exact against the reference executor (" +
                        std::to_string(captured) + " layers, " + std::to_string(codes) + " codes)"
                  : "first difference from the reference executor: " +
                        describe_difference(r, first, false))
    << "\n";
  if (c.against_dump) {
    const int f = r.first_against_difference();
    o << "dump       "
      << (f < 0 ? "every layer found in " + c.against + " bit-exact"
                : "first difference from " + c.against + ": " + describe_difference(r, f, true))
      << "\n";
  }
  return o.str();
}

std::string report_json(const DebugReport& r, const ReportContext& c) {
  json layers = json::array();
  for (size_t i = 0; i < r.layers.size(); ++i) {
    const LayerResult& l = r.layers[i];
    json j = {{"index", i + 1},           {"node", l.layer.node},
              {"op", l.layer.op},         {"unit", l.unit},
              {"tensor", l.layer.tensor}, {"shape", l.shape},
              {"scale", l.layer.scale},   {"zero_point", l.layer.zero_point},
              {"captured", l.captured}};
    if (l.captured) j["reference"] = stats_json(l.reference);
    if (l.forced) j["teacher_forced"] = stats_json(*l.forced);
    if (l.against) j["against"] = stats_json(*l.against);
    if (l.fp32)
      j["fp32"] = {{"sqnr_db", std::isinf(l.fp32->sqnr_db) ? json(nullptr) : json(l.fp32->sqnr_db)},
                   {"cosine", l.fp32->cosine}};
    layers.push_back(j);
  }
  auto first = [&](int index, bool dump) {
    return index < 0 ? json(nullptr)
                     : json{{"index", index + 1},
                            {"node", r.layers[size_t(index)].layer.node},
                            {"text", describe_difference(r, index, dump)}};
  };
  json out = {{"model", r.model},
              {"device", r.device},
              {"against", c.against},
              {"layers", layers},
              {"first_reference_difference", first(r.first_reference_difference(), false)}};
  if (c.against_dump) out["first_against_difference"] = first(r.first_against_difference(), true);
  return out.dump(1) + "\n";
}

// "exact%,within1%,max" of `s`, or three empty fields.
std::string stats_csv(const CodeStats* s) {
  if (!s) return ",,";
  return fixed(100.0 * s->exact_share(), 4) + "," + fixed(100.0 * s->within_1_share(), 4) + "," +
         std::to_string(s->max_diff);
}

std::string report_csv(const DebugReport& r) {
  std::ostringstream o;
  o << "index,node,op,unit,tensor,shape,exact_percent,within_1_percent,max_diff_lsb,"
       "forced_exact_percent,forced_within_1_percent,forced_max_diff_lsb,against_exact_percent,"
       "against_within_1_percent,against_max_diff_lsb,sqnr_db,cosine\n";
  for (size_t i = 0; i < r.layers.size(); ++i) {
    const LayerResult& l = r.layers[i];
    o << i + 1 << "," << csv_field(l.layer.node) << "," << csv_field(l.layer.op) << "," << l.unit
      << "," << csv_field(l.layer.tensor) << "," << compiler::shape_string(l.shape) << ","
      << stats_csv(l.captured ? &l.reference : nullptr) << ","
      << stats_csv(l.forced ? &*l.forced : nullptr) << ","
      << stats_csv(l.against ? &*l.against : nullptr) << ","
      << (l.fp32 ? fixed(l.fp32->sqnr_db, 3) : "") << ","
      << (l.fp32 ? fixed(l.fp32->cosine, 6) : "") << "\n";
  }
  return o.str();
}

}  // namespace npusim::debug
