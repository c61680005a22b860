// Runs jobs in parallel worker processes on this machine (worker.hpp). Jobs
// go to whichever worker is free; a worker that dies (a crash in a point) or
// overruns the point timeout is killed and replaced, and its job gets a
// failed result naming the signal or the timeout and the end of its stderr.
// Workers die with this process (PR_SET_PDEATHSIG), so killing a sweep
// leaves nothing running.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "npusim/sweep/point_result.hpp"
#include "npusim/sweep/points.hpp"
#include "npusim/sweep/worker.hpp"

namespace npusim::sweep {

struct Job {
  JobKind kind = JobKind::kRun;
  const Point* point = nullptr;
};

struct LocalOptions {
  int workers = 2;
  std::chrono::seconds point_timeout{3600};
  // The worker's command line; argv[0] is the executable.
  std::vector<std::string> worker_command;
};

// Calls `on_result` (on this thread) once per job, in finishing order.
void run_local(const std::vector<Job>& jobs, const LocalOptions& options,
               const std::function<void(const Job&, const PointResult&)>& on_result);

// This executable (/proc/self/exe resolved) with "sweep --worker".
std::vector<std::string> self_worker_command();

}  // namespace npusim::sweep
