// Internal: waiting on the schedule's progress counters (streams.hpp). A
// sender engine signals its counter once per layer (or, for kPeerData, once
// per exchange); a receiver that needs "the sender has done its first n
// signals" consumes signals until it has taken n. Signals a receiver never
// needs stay on the counter, which is harmless: every RUN starts from zero.
#pragma once

#include <map>
#include <tuple>

#include "streams.hpp"

namespace npusim::compiler::codegen {

class Progress {
 public:
  // Emits on (slot, receiver) the waits on `sem` that make sure its sender has
  // signalled at least `count` times; nothing if that is already known.
  void wait_until(Streams& s, int slot, isa::Engine receiver, Sem sem, int64_t count) {
    int64_t& taken = consumed_[{slot, int(receiver), int(sem)}];
    for (; taken < count; ++taken) s.wait(slot, receiver, sem);
  }
  // The sender has finished layer `layer` (0-based): its layer + 1 signals.
  void wait_layer(Streams& s, int slot, isa::Engine receiver, Sem sem, int64_t layer) {
    wait_until(s, slot, receiver, sem, layer + 1);
  }

 private:
  std::map<std::tuple<int, int, int>, int64_t> consumed_;
};

}  // namespace npusim::compiler::codegen
