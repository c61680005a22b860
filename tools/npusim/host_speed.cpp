#include "host_speed.hpp"

#include <sys/resource.h>

namespace npusim::cli {

HostStopwatch::Mark HostStopwatch::now() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  const auto s = [](const timeval& t) { return double(t.tv_sec) + double(t.tv_usec) * 1e-6; };
  return {std::chrono::steady_clock::now(), s(u.ru_utime) + s(u.ru_stime)};
}

HostStopwatch::HostStopwatch() : start_(now()) {}

void HostStopwatch::first_result() {
  first_ = now();
  have_first_ = true;
}

HostSpeed HostStopwatch::stop(uint64_t finished, uint64_t cycles) const {
  const Mark end = now();
  const bool steady = have_first_ && finished > 1;
  const Mark& from = steady ? first_ : start_;
  HostSpeed h;
  h.queries = steady ? finished - 1 : finished;
  h.wall_s = std::chrono::duration<double>(end.wall - from.wall).count();
  h.cpu_s = end.cpu - from.cpu;
  h.simulated_cycles = cycles;
  return h;
}

}  // namespace npusim::cli
