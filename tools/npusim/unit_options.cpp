#include "unit_options.hpp"

#include <map>
#include <regex>
#include <stdexcept>

#include "commands.hpp"
#include "npusim/runtime/errors.hpp"

namespace npusim::cli {

namespace {

// "npu1:FILE" -> ("npu1", "FILE"); "FILE" -> ("", "FILE").
std::pair<std::string, std::string> prefixed(const std::string& text, char separator) {
  static const std::regex unit(R"((npu[0-9]+|cpu))");
  const size_t at = text.find(separator);
  if (at == std::string::npos) return {"", text};
  const std::string head = text.substr(0, at);
  if (!std::regex_match(head, unit)) return {"", text};
  return {head, text.substr(at + 1)};
}

runtime::CoopUnit* find_unit(std::vector<runtime::CoopUnit>& units, const std::string& name) {
  for (auto& u : units)
    if (u.spec.name == name) return &u;
  return nullptr;
}

void check_named(std::vector<runtime::CoopUnit>& units, const std::string& name,
                 const std::string& option) {
  if (!find_unit(units, name))
    throw UsageError(option + " names " + name + ", which the unit list (-d) does not have");
}

isa::HwParams apply(isa::HwParams hw, const std::string& assignment, const std::string& option) {
  try {
    isa::apply_assignment(hw, assignment);
  } catch (const isa::ParamError& e) {
    throw UsageError(option + ": " + e.what());
  }
  return hw;
}

}  // namespace

std::vector<runtime::CoopUnit> resolve_units(const std::string& devices,
                                             const UnitHwOptions& options) {
  std::vector<runtime::CoopUnit> units;
  try {
    for (const auto& spec : runtime::parse_unit_list(devices)) units.push_back({spec, {}, {}});
  } catch (const runtime::RuntimeError& e) {
    throw UsageError(e.what());
  }
  std::string common_file;
  std::map<std::string, std::string> files;
  for (const std::string& f : options.files) {
    const auto [unit, file] = prefixed(f, ':');
    if (unit.empty()) {
      common_file = file;
      continue;
    }
    if (unit == "cpu") throw UsageError("--hw " + f + ": the CPU unit takes --set cpu.KEY=VALUE");
    check_named(units, unit, "--hw " + f);
    files[unit] = file;
  }
  for (auto& u : units) {
    if (u.spec.kind == runtime::UnitKind::kCpu) continue;
    const std::string& file = files.count(u.spec.name) ? files[u.spec.name] : common_file;
    u.hw = file.empty() ? isa::preset("warboy") : isa::load_params_file(file);
  }
  for (const std::string& a : options.assignments) {  // the common ones first
    if (!prefixed(a, '.').first.empty()) continue;
    for (auto& u : units)
      if (u.spec.kind == runtime::UnitKind::kNpu) u.hw = apply(u.hw, a, "--set " + a);
  }
  for (const std::string& a : options.assignments) {
    const auto [unit, rest] = prefixed(a, '.');
    if (unit.empty()) continue;
    check_named(units, unit, "--set " + a);
    runtime::CoopUnit& u = *find_unit(units, unit);
    if (u.spec.kind == runtime::UnitKind::kNpu) {
      u.hw = apply(u.hw, rest, "--set " + a);
      continue;
    }
    const size_t eq = rest.find('=');
    if (eq == std::string::npos) throw UsageError("--set " + a + ": expected cpu.KEY=VALUE");
    try {
      runtime::apply_cpu_assignment(u.cpu, rest.substr(0, eq), rest.substr(eq + 1));
    } catch (const std::invalid_argument& e) {
      throw UsageError("--set " + a + ": " + e.what());
    }
  }
  return units;
}

}  // namespace npusim::cli
