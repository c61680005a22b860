#include "npusim/runtime/unit_list.hpp"

#include <map>
#include <regex>

#include "list_entries.hpp"
#include "npusim/runtime/device_list.hpp"
#include "npusim/runtime/errors.hpp"

namespace npusim::runtime {

namespace {

using list_entries::bad;

const std::regex& whole_chip() {
  static const std::regex r(R"(npu([0-9]+))");
  return r;
}

const std::regex& chip_pe() {
  static const std::regex r(R"(npu([0-9]+)(pe.*))");
  return r;
}

int chip_number(const std::string& entry, const std::string& digits) {
  const int chip = digits.size() > 2 ? kMaxChips : std::stoi(digits);
  if (chip >= kMaxChips)
    bad("bad unit \"" + entry + "\": chips are npu0 ... npu" + std::to_string(kMaxChips - 1));
  return chip;
}

// One entry as (chip, the entry as the simulated chip 0 names it); the CPU is chip -1.
std::pair<int, std::string> locate(const std::string& entry) {
  if (entry == "cpu") return {-1, entry};
  std::smatch m;
  if (std::regex_match(entry, m, whole_chip()))
    return {chip_number(entry, m[1]), "npu0pe0,npu0pe1"};
  if (std::regex_match(entry, m, chip_pe())) return {chip_number(entry, m[1]), "npu0" + m[2].str()};
  return {0, entry};  // an alias of a chip-0 PE, or an error parse_device_list names
}

}  // namespace

std::string UnitSpec::devices() const {
  std::string s;
  for (const auto& pe : pes) s += (s.empty() ? "" : ",") + pe;
  return s;
}

std::string UnitSpec::pe_name(const std::string& simulated) const {
  if (simulated.rfind("npu0", 0) != 0) return simulated;
  return "npu" + std::to_string(chip) + simulated.substr(4);
}

std::string UnitSpec::describe() const {
  if (kind == UnitKind::kCpu) return name;
  std::string s;
  for (const auto& pe : pes) s += (s.empty() ? "" : ",") + pe_name(pe);
  return name + " (" + s + ")";
}

bool is_unit_list(const std::string& spec) {
  for (const std::string& entry : list_entries::split(spec)) {
    const auto [chip, simulated] = locate(entry);
    std::smatch m;
    if (chip != 0 || std::regex_match(entry, m, whole_chip())) return true;
  }
  return false;
}

std::vector<UnitSpec> parse_unit_list(const std::string& spec) {
  std::vector<UnitSpec> units;
  std::map<int, size_t> index;           // chip (-1: cpu) -> units[]
  std::map<int, std::string> requested;  // chip -> its entries as chip 0 names them
  for (const std::string& entry : list_entries::split(spec)) {
    if (entry.empty()) bad("unit list \"" + spec + "\" has an empty entry");
    const auto [chip, simulated] = locate(entry);
    if (chip < 0 && index.count(-1)) bad("unit list \"" + spec + "\" names cpu twice");
    if (!index.count(chip)) {
      index[chip] = units.size();
      UnitSpec u;
      u.kind = chip < 0 ? UnitKind::kCpu : UnitKind::kNpu;
      u.chip = std::max(chip, 0);
      u.name = chip < 0 ? "cpu" : "npu" + std::to_string(chip);
      units.push_back(u);
    }
    if (chip >= 0) requested[chip] += (requested[chip].empty() ? "" : ",") + simulated;
  }
  for (auto& [chip, devices] : requested) {
    UnitSpec& u = units[index.at(chip)];
    try {
      u.pes = parse_device_list(devices);
    } catch (const RuntimeError& e) {
      bad("unit list \"" + spec + "\", chip npu" + std::to_string(chip) +
          " (its PEs as npu0 names them): " + e.what());
    }
  }
  return units;
}

}  // namespace npusim::runtime
