// Ranges per planned activation from calibration statistics, and the
// ranges file (--save-ranges / --load-ranges).
#include <algorithm>
#include <nlohmann/json.hpp>

#include "npusim/common/files.hpp"
#include "npusim/common/limits.hpp"
#include "npusim/compiler/quantizer.hpp"

namespace npusim::compiler {

RangeTable compute_ranges(const Graph& g, const Calibration& c, const QuantPlan& plan,
                          const RangeMethod& method) {
  RangeTable out;
  RangeMethod input_method = method;
  input_method.kind = RangeMethodKind::kMinMax;
  for (const auto& name : plan.activations) {
    if (plan.share.count(name)) continue;  // takes its source's parameters
    auto it = c.stats.find(name);
    if (it == c.stats.end() || it->second.empty())
      throw CompileError("calibration has no values for tensor '" + name + "'");
    const bool is_input = std::find(g.inputs.begin(), g.inputs.end(), name) != g.inputs.end();
    out[name] = compute_range(it->second, is_input ? input_method : method);
  }
  return out;
}

void save_ranges(const std::string& path, const RangeTable& ranges, const RangeMethod& method,
                 const std::string& model, const ChannelMeans& means) {
  nlohmann::json j;
  j["format"] = "npusim-ranges-1";
  j["model"] = model;
  j["method"] = range_method_name(method);
  j["percentile"] = method.percentile;
  auto& tensors = j["tensors"] = nlohmann::json::object();
  for (const auto& [name, r] : ranges) tensors[name] = {{"lo", r.lo}, {"hi", r.hi}};
  j["channel_means"] = means;
  try {
    files::write_file(path, j.dump(1) + "\n");
  } catch (const files::FileError& e) {
    throw CompileError(e.what());
  }
}

RangeTable load_ranges(const std::string& path, const QuantPlan& plan, ChannelMeans* means) {
  std::string text;
  try {
    text = files::read_file(path, limits::kMaxJsonFileBytes, "a ranges file");
  } catch (const files::FileError& e) {
    throw CompileError(e.what());
  }
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw CompileError(path + ": not a JSON ranges file (" + e.what() + ")");
  }
  if (!j.is_object() || !j.contains("tensors") || !j["tensors"].is_object())
    throw CompileError(path + ": not a ranges file (no \"tensors\" object)");
  if (means && j.contains("channel_means")) {
    try {
      *means = j["channel_means"].get<ChannelMeans>();
    } catch (const nlohmann::json::exception& e) {
      throw CompileError(path + ": \"channel_means\" is not {name: [numbers]} (" + e.what() + ")");
    }
  }
  RangeTable out;
  for (const auto& name : plan.activations) {
    if (plan.share.count(name)) continue;
    if (!j["tensors"].contains(name))
      throw CompileError(path + ": has no range for tensor '" + name +
                         "' (saved from another model, or other options?)");
    const auto& r = j["tensors"][name];
    if (!r.contains("lo") || !r.contains("hi") || !r["lo"].is_number() || !r["hi"].is_number() ||
        r["lo"].get<double>() > r["hi"].get<double>())
      throw CompileError(path + ": tensor '" + name + "' needs numbers lo <= hi");
    out[name] = {std::min(r["lo"].get<float>(), 0.0f), std::max(r["hi"].get<float>(), 0.0f)};
  }
  return out;
}

}  // namespace npusim::compiler
