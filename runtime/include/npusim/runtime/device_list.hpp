// Device strings: "npu0pe0", "npu0pe1", the fused pair "npu0pe0-1", or a
// comma-separated list of them (requests are spread over the list).
#pragma once

#include <string>
#include <vector>

namespace npusim::runtime {

// The environment variable that gives the default device string.
inline constexpr const char* kDevicesEnv = "NPUSIM_DEVICES";

// Splits and checks a device string; "" means $NPUSIM_DEVICES, else
// `fallback`. Throws RuntimeError (kInvalidInput) naming the bad entry, or
// a PE listed twice (also through a fused pair).
std::vector<std::string> parse_device_list(const std::string& spec,
                                           const std::string& fallback = "npu0pe0");

// PE bit mask of one device name ("npu0pe0-1" -> 0b11).
unsigned pe_mask_of(const std::string& device);

}  // namespace npusim::runtime
