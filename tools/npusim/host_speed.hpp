// How fast the host simulated (npusim bench): wall and CPU time per query and
// simulated device cycles per host second, in the steady state, from the
// first result to the last: start-up (loading the model, placing it on the
// device) and the first query's one-off costs (first touches of device
// memory, caches) stay outside. With one query, from its submission instead.
#pragma once

#include <chrono>
#include <cstdint>

namespace npusim::cli {

struct HostSpeed {
  uint64_t queries = 0;           // queries the figures cover
  double wall_s = 0, cpu_s = 0;   // cpu: user + system of the whole process
  uint64_t simulated_cycles = 0;  // device clock cycles the same stretch covered

  double wall_ms_per_query() const { return queries ? 1e3 * wall_s / double(queries) : 0; }
  double cpu_ms_per_query() const { return queries ? 1e3 * cpu_s / double(queries) : 0; }
  double cycles_per_second() const { return wall_s > 0 ? double(simulated_cycles) / wall_s : 0; }
};

class HostStopwatch {
 public:
  HostStopwatch();      // at the first submission
  void first_result();  // when the first result is in
  // After the last result: `finished` queries, the simulated time from the
  // first result (or from the start, for one query) to the last, in cycles.
  HostSpeed stop(uint64_t finished, uint64_t cycles) const;

 private:
  struct Mark {
    std::chrono::steady_clock::time_point wall;
    double cpu = 0;
  };
  static Mark now();
  Mark start_, first_;
  bool have_first_ = false;
};

}  // namespace npusim::cli
