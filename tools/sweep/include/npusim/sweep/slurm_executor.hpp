// Runs a sweep's points as a Slurm job array (`sbatch --array`): the points
// go to a work directory beside the results database, each array task runs
// its share (every T-th point) through local workers into its own SQLite
// file, and this process waits for the array, showing progress from those
// files, then merges them into the one database. The work directory, the
// models and the compile cache must be on a file system the nodes share.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "npusim/sweep/point_result.hpp"
#include "npusim/sweep/points.hpp"
#include "npusim/sweep/progress.hpp"
#include "npusim/sweep/results_db.hpp"

namespace npusim::sweep {

struct SlurmOptions {
  int tasks = 0;                            // array tasks; 0: one per point, at most 64
  std::vector<std::string> sbatch_args;     // passed to sbatch as they are (--partition=...)
  std::chrono::seconds timeout{24 * 3600};  // for the whole array, then scancel
  std::chrono::seconds point_timeout{3600};
};

// Submits `todo`, waits, merges the tasks' results into `db` as rows of
// `sweep_id`; a point without a result (its task died) is recorded as
// failed naming the task's log. `adjust` completes each result before it is
// written (the sweep adds the compile figures).
void run_slurm(const std::vector<const Point*>& todo, ResultsDb& db, int64_t sweep_id,
               const SlurmOptions& options, Progress& progress,
               const std::function<void(const Point&, PointResult&)>& adjust);

// One array task (`npusim sweep --slurm-task DIR`): runs its share of
// DIR/points.jsonl into DIR/task-ID.sqlite. Returns the exit code.
int slurm_task_main(const std::string& dir);

}  // namespace npusim::sweep
