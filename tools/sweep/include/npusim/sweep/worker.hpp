// A worker process of a sweep (`npusim sweep --worker`): reads jobs, one
// JSON object per line, on stdin, and answers each with one JSON line on
// stdout, until stdin ends:
//   job:    {"job": "compile" | "run", "point": POINT}      (points.hpp to_json)
//   answer: {"job": ..., "key": POINT_KEY, "result": RESULT} (point_result.hpp to_json)
// SystemC allows one simulation per process: each worker owns one simulated
// device and runs its points one after another, reconfiguring it for each.
#pragma once

#include <istream>
#include <nlohmann/json.hpp>
#include <ostream>

#include "npusim/sweep/point_result.hpp"
#include "npusim/sweep/points.hpp"

namespace npusim::sweep {

enum class JobKind { kCompile, kRun };

nlohmann::json job_message(JobKind kind, const Point& p);

// Serves jobs from `in` until it ends; returns the exit code.
int serve_jobs(std::istream& in, std::ostream& out);

// The worker's main: moves stdout aside for answers (so that nothing else
// the process prints can corrupt them) and serves stdin.
int worker_main();

}  // namespace npusim::sweep
