#include "watchdog.hpp"

#include <algorithm>

namespace npusim::sim {

TaskError watchdog_error(const Task& task, isa::reg::ErrorCode code) {
  TaskError e{code, 0, task.pes[0], 0xFF, 0, {}};
  for (int slot = 0; slot < task.num_slots; ++slot)
    for (int engine = 0; engine < isa::kNumEngines; ++engine) {
      const EngineProgress& p = task.progress[slot][engine];
      EngineSnapshot& s = e.engines[task.pes[slot] * isa::kNumEngines + engine];
      s.index = p.index;
      if (!p.live) continue;
      s.state = p.stuck            ? isa::reg::EngineState::kStuck
                : p.semaphore >= 0 ? isa::reg::EngineState::kSemWait
                                   : isa::reg::EngineState::kRunning;
      s.semaphore = static_cast<uint8_t>(std::max(0, p.semaphore));
    }
  return e;
}

bool any_stuck(const Task& task) {
  for (const auto& slot : task.progress)
    for (const EngineProgress& p : slot)
      if (p.live && p.stuck) return true;
  return false;
}

}  // namespace npusim::sim
