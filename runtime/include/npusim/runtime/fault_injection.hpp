// Faults a user injects into runs (`--inject KIND@WHEN`, RunnerOptions::inject),
// to see how an application and the runtime behave when the device fails:
//   KIND  dma-error | illegal-instruction | watchdog | stuck-engine | host-link-error
//   WHEN  request:N      request N (counting from 0, as RequestTiming::request)
//         instruction:N  once N instructions have executed on the device (any request)
//         random[:P]     each request, and each retry, with probability P (default
//                        0.05), drawn from `seed`
// docs/faults.md describes each kind and what the device and the runtime do.
#pragma once

#include <cstdint>
#include <string>

#include "npusim/isa/regmap.hpp"

namespace npusim::runtime {

struct FaultInjection {
  enum class When { kRequest, kInstruction, kRandom };
  isa::reg::FaultKind kind = isa::reg::FaultKind::kNone;
  When when = When::kRequest;
  uint64_t n = 0;             // the request (kRequest) or instruction count (kInstruction)
  double probability = 0.05;  // kRandom
  uint32_t seed = 1;          // kRandom
  explicit operator bool() const { return kind != isa::reg::FaultKind::kNone; }
  // Whether attempt `attempt` (0, then each retry) of request `request` gets
  // the fault (kRequest, kRandom). kRandom draws from (seed, request,
  // attempt), not from a running generator: the same seed faults the same
  // requests however the requests interleave in time.
  bool hits(uint64_t request, int attempt) const;
};

// Parses "KIND@WHEN"; throws RuntimeError (kInvalidInput) naming what is wrong.
FaultInjection parse_fault_injection(const std::string& spec, uint32_t seed = 1);
// Back to "KIND@WHEN" text.
std::string to_string(const FaultInjection& f);
// "dma-error", ...
std::string fault_kind_name(isa::reg::FaultKind kind);

}  // namespace npusim::runtime
