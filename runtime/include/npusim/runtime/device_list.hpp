// Device strings: "npu0pe0", "npu0pe1", the fused pair "npu0pe0-1", or a
// comma-separated list of them (requests are spread over the list). The
// forms FuriosaAI's SDK uses are accepted as aliases and resolved to those
// names (docs/runtime.md, "Device strings"):
//   npu:0:0, npu:0:1, npu:0:0-1   (and 0:0, 0:1, 0:0-1)   one PE, the fused pair
//   warboy(1)*N, warboy*N                                  N single PEs, the next unused
//   warboy(2)*1                                            the fused pair
#pragma once

#include <string>
#include <vector>

namespace npusim::runtime {

// The environment variable that gives the default device string.
inline constexpr const char* kDevicesEnv = "NPUSIM_DEVICES";

// Splits, resolves aliases and checks a device string; "" means
// $NPUSIM_DEVICES, else `fallback`. Returns canonical names ("npu0pe1").
// Throws RuntimeError (kInvalidInput) naming the bad entry, a PE listed twice
// (also through a fused pair or an alias), or an alias asking for more PEs
// than the simulated chip has.
std::vector<std::string> parse_device_list(const std::string& spec,
                                           const std::string& fallback = "npu0pe0");

// PE bit mask of one canonical device name ("npu0pe0-1" -> 0b11).
unsigned pe_mask_of(const std::string& device);

}  // namespace npusim::runtime
