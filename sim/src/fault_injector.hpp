// Faults a test or a user injects (docs/registers.md, "Fault injection"):
// armed device-wide through INJECT_KIND / INJECT_AFTER (after N more
// instructions, whichever PE or queue runs them), or by one command's
// inject word (a RUN: after N of its own instructions; an H2D or D2H: that
// copy). Engines ask at every instruction and the command processor at every
// host-link copy whether a fault fires now; each armed fault fires once.
#pragma once

#include <cstdint>

#include "npusim/isa/regmap.hpp"
#include "task.hpp"

namespace npusim::sim {

class FaultInjector {
 public:
  using Kind = isa::reg::FaultKind;

  void arm(Kind kind) {
    kind_ = kind;
    remaining_ = after_;
  }
  void set_after(uint64_t after) { after_ = after; }
  Kind armed() const { return kind_; }
  uint64_t after() const { return after_; }
  void reset() { *this = FaultInjector{}; }

  // Before each instruction: the fault to apply to it, or kNone.
  Kind at_instruction(Task& task, bool dma, bool host_dma) {
    Kind fire = Kind::kNone;
    if (task.inject != Kind::kNone && task.started >= task.inject_after &&
        eligible(task.inject, dma, host_dma)) {
      fire = task.inject;
      task.inject = Kind::kNone;
    } else if (kind_ != Kind::kNone && remaining_ == 0 && eligible(kind_, dma, host_dma)) {
      fire = kind_;
      kind_ = Kind::kNone;
    }
    ++task.started;
    if (remaining_ > 0) --remaining_;
    return fire;
  }

  // Before an H2D or D2H command: whether it fails with a host link error
  // (its own inject word, or a device-wide fault whose count has run out).
  bool at_host_copy(uint64_t inject_word) {
    if (static_cast<Kind>(inject_word & 0xFF) == Kind::kHostLinkError) return true;
    if (kind_ == Kind::kHostLinkError && remaining_ == 0) {
      kind_ = Kind::kNone;
      return true;
    }
    return false;
  }

 private:
  static bool eligible(Kind kind, bool dma, bool host_dma) {
    if (kind == Kind::kDmaError) return dma;
    if (kind == Kind::kHostLinkError) return host_dma;
    return true;
  }

  Kind kind_ = Kind::kNone;
  uint64_t after_ = 0, remaining_ = 0;
};

}  // namespace npusim::sim
