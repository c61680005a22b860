// Cancels a running task: processes waiting on the event wake up and see
// `raised`. Used for device errors and for reset.
#pragma once

#include <systemc>

namespace npusim::sim {

struct AbortSignal {
  sc_core::sc_event event;
  bool raised = false;

  void clear() { raised = false; }
  void raise() {
    raised = true;
    event.notify(sc_core::SC_ZERO_TIME);
  }
};

}  // namespace npusim::sim
