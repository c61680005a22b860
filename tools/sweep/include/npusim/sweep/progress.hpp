// Progress of a long run on stderr: points done of the total, failures,
// speed and the estimated time left. On a terminal one line is redrawn in
// place; otherwise (a log, CI) a line is printed at most every few seconds
// and once at the end.
#pragma once

#include <chrono>
#include <cstddef>
#include <ostream>
#include <string>

namespace npusim::sweep {

class Progress {
 public:
  Progress(std::string what, size_t total, std::ostream& out, bool terminal);
  void set_done(size_t done, size_t failed);  // absolute counts (Slurm polls them)
  void advance(bool failed);                  // one more
  void finish();

  // "[#####     ] 12/90 points, 1 failed, 4.1 points/min, ETA 19m02s"
  std::string line() const;

 private:
  void show(bool force);

  std::string what_;
  size_t total_, done_ = 0, failed_ = 0;
  std::ostream& out_;
  bool terminal_;
  std::chrono::steady_clock::time_point start_, last_shown_;
  bool shown_ = false;
};

// "1h02m", "4m10s", "12s"
std::string format_duration(double seconds);

}  // namespace npusim::sweep
