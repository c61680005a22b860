// Where a request's fault goes (docs/faults.md): on its RUN command, or for
// a host-link error on its first copy (the first H2D, else the first D2H).
#pragma once

#include <cstdint>
#include <vector>

#include "npusim/isa/regmap.hpp"

namespace npusim::runtime {

inline bool is_host_link_fault(uint64_t inject_word) {
  return static_cast<isa::reg::FaultKind>(inject_word & 0xFF) ==
         isa::reg::FaultKind::kHostLinkError;
}

inline void place_inject_word(uint64_t word, isa::reg::Command& run,
                              std::vector<isa::reg::Command>& h2d,
                              std::vector<isa::reg::Command>& d2h) {
  if (!word) return;
  if (!is_host_link_fault(word))
    run.b = word;
  else if (!h2d.empty())
    h2d.front().base[0] = word;
  else if (!d2h.empty())
    d2h.front().base[0] = word;
}

}  // namespace npusim::runtime
