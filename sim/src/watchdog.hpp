// What the watchdog reports when it stops a task: every engine of the
// task's PEs, its instruction and what it waits on (ENGINE_STATE registers).
#pragma once

#include "task.hpp"

namespace npusim::sim {

// The error with a snapshot of every engine (engine field 0xFF: the watchdog).
TaskError watchdog_error(const Task& task, isa::reg::ErrorCode code);
// Whether an engine of the task was stopped by an injected stuck-engine fault.
bool any_stuck(const Task& task);

}  // namespace npusim::sim
