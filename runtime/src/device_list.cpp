#include "npusim/runtime/device_list.hpp"

#include <cstdlib>
#include <regex>

#include "npusim/runtime/errors.hpp"

namespace npusim::runtime {

unsigned pe_mask_of(const std::string& device) {
  static const std::regex form(R"(npu0pe([0-9])(-([0-9]))?)");
  std::smatch m;
  if (!std::regex_match(device, m, form))
    throw RuntimeError(RuntimeErrorKind::kInvalidInput,
                       "bad device \"" + device + "\": expected npu0pe0, npu0pe1 or npu0pe0-1");
  const int first = m[1].str()[0] - '0';
  const int last = m[3].matched ? m[3].str()[0] - '0' : first;
  if (last < first || (m[3].matched && (first != 0 || last != 1)))
    throw RuntimeError(RuntimeErrorKind::kInvalidInput,
                       "bad device \"" + device + "\": the fused pair is npu0pe0-1");
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
  size_t start = 0;
  for (;;) {
    const size_t comma = text.find(',', start);
    std::string name = text.substr(start, comma == std::string::npos ? comma : comma - start);
    name.erase(0, name.find_first_not_of(' '));
    name.erase(name.find_last_not_of(' ') + 1);
    const unsigned mask = pe_mask_of(name);
    if (used & mask)
      throw RuntimeError(RuntimeErrorKind::kInvalidInput,
                         "device list \"" + text + "\" uses a PE twice (" + name + ")");
    used |= mask;
    names.push_back(name);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return names;
}

}  // namespace npusim::runtime
