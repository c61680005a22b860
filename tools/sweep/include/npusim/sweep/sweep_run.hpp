// A whole sweep: expand the spec, check that every program compiles before
// anything runs, skip the points the database already holds, run the rest
// (locally in parallel worker processes, or as a Slurm job array) and record
// each point as it finishes.
#pragma once

#include <chrono>
#include <ostream>
#include <string>
#include <vector>

#include "npusim/sweep/slurm_executor.hpp"
#include "npusim/sweep/spec.hpp"

namespace npusim::sweep {

struct SweepOptions {
  std::string db_path;
  std::string executor = "local";  // "local" or "slurm"
  int jobs = 2;                    // local worker processes
  bool retry_failed = false;       // run points recorded as failed again
  bool dry_run = false;            // check and count, run nothing, write nothing
  std::chrono::seconds point_timeout{3600};
  SlurmOptions slurm;
  bool terminal = false;  // progress redrawn in place
};

struct SweepSummary {
  size_t points = 0, excluded = 0, already_done = 0, ran = 0, failed = 0, programs = 0;
  double seconds = 0;                 // wall time of running the points
  std::vector<std::string> failures;  // "model mode label: error" of this run's failed points
};

// Throws SpecError for a bad spec (nothing run, no database written).
SweepSummary run_sweep(const SweepSpec& spec, const SweepOptions& options, std::ostream& out);

}  // namespace npusim::sweep
