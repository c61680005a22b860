#include "npusim/runtime/device_list.hpp"

#include <cstdlib>
#include <regex>

#include "list_entries.hpp"
#include "npusim/runtime/errors.hpp"

namespace npusim::runtime {

namespace {

// The simulated device is one Warboy-class chip with two PEs.
constexpr int kPesPerChip = 2;

using list_entries::bad;

// "warboy(1)*2" -> the next two unused single PEs; "warboy(2)*1" -> the
// fused pair. `used` is the mask of PEs earlier entries took.
std::vector<std::string> expand_config(const std::string& entry, int pes, int count,
                                       unsigned used) {
  if (pes != 1 && pes != 2)
    bad("bad device \"" + entry + "\": warboy(1)*N takes single PEs, warboy(2)*N fused pairs");
  if (count < 1) bad("bad device \"" + entry + "\": the count after * must be at least 1");
  if (pes == 2) {
    if (count > 1)
      bad("bad device \"" + entry + "\" asks for " + std::to_string(count) +
          " fused pairs; the simulated device has one (npu0pe0-1)");
    return {"npu0pe0-1"};
  }
  std::vector<std::string> out;
  for (int pe = 0; pe < kPesPerChip && int(out.size()) < count; ++pe)
    if (!(used & (1u << pe))) out.push_back("npu0pe" + std::to_string(pe));
  if (int(out.size()) < count)
    bad("bad device \"" + entry + "\" asks for " + std::to_string(count) +
        " single PEs; the simulated device has " + std::to_string(kPesPerChip) +
        " (npu0pe0, npu0pe1)" + (used ? " and the list uses some already" : ""));
  return out;
}

// One entry of a device list as canonical names (an alias may give several).
std::vector<std::string> resolve_entry(const std::string& entry, unsigned used) {
  static const std::regex sdk_pe(R"((?:npu:)?([0-9]+):([0-9]+)(?:-([0-9]+))?)");
  static const std::regex config(R"(warboy(?:\(([0-9]+)\))?\*([0-9]+))");
  std::smatch m;
  if (std::regex_match(entry, m, config))
    return expand_config(entry, m[1].matched ? std::stoi(m[1]) : 1, std::stoi(m[2]), used);
  if (!std::regex_match(entry, m, sdk_pe)) return {entry};
  const std::string name =
      "npu" + m[1].str() + "pe" + m[2].str() + (m[3].matched ? "-" + m[3].str() : "");
  try {
    pe_mask_of(name);
  } catch (const RuntimeError&) {
    bad("bad device \"" + entry + "\" (" + name + "): the simulated device has npu:0:0, " +
        "npu:0:1 and the fused npu:0:0-1");
  }
  return {name};
}

}  // namespace

unsigned pe_mask_of(const std::string& device) {
  static const std::regex form(R"(npu0pe([0-9])(-([0-9]))?)");
  std::smatch m;
  if (!std::regex_match(device, m, form))
    bad("bad device \"" + device +
        "\": expected npu0pe0, npu0pe1 or npu0pe0-1 (or npu:0:0, npu:0:1, npu:0:0-1, "
        "warboy(1)*N, warboy(2)*1)");
  const int first = m[1].str()[0] - '0';
  const int last = m[3].matched ? m[3].str()[0] - '0' : first;
  if (last < first || (m[3].matched && (first != 0 || last != 1)))
    bad("bad device \"" + device + "\": the fused pair is npu0pe0-1");
  unsigned mask = 0;
  for (int pe = first; pe <= last; ++pe) mask |= 1u << pe;
  return mask;
}

std::vector<std::string> parse_device_list(const std::string& spec, const std::string& fallback) {
  std::string text = spec;
  if (text.empty()) {
    const char* env = std::getenv(kDevicesEnv);
    text = env && *env ? env : fallback;
  }
  std::vector<std::string> names;
  unsigned used = 0;
  for (const std::string& entry : list_entries::split(text)) {
    for (const std::string& name : resolve_entry(entry, used)) {
      const unsigned mask = pe_mask_of(name);
      if (used & mask)
        bad("device list \"" + text + "\" uses a PE twice (" + name +
            (name == entry ? "" : ", from " + entry) + ")");
      used |= mask;
      names.push_back(name);
    }
  }
  return names;
}

}  // namespace npusim::runtime
