// Running one point in this process: load (compile through the cache) the
// model for the point's hardware, run its workload on the in-process
// simulated device reconfigured for it, and collect the figures. A worker
// process runs many points one after another; the device is reset for each,
// so a point's figures do not depend on what ran before it.
#pragma once

#include "npusim/sweep/point_result.hpp"
#include "npusim/sweep/points.hpp"

namespace npusim::sweep {

// Never throws for a problem of the point: a failure is a result with
// status "failed" and the error.
PointResult run_point(const Point& point);

// Compiles (or finds in the compile cache) the point's program: the check a
// sweep makes for every compile group before anything runs. Returns a result
// with compile_ms and cache_hit, or status "failed" and the compiler's error.
PointResult compile_point(const Point& point);

}  // namespace npusim::sweep
