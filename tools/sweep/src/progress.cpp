#include "npusim/sweep/progress.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace npusim::sweep {

namespace {

constexpr int kBarWidth = 24;
constexpr auto kLogInterval = std::chrono::seconds(5);

}  // namespace

std::string format_duration(double seconds) {
  const long s = std::lround(std::max(0.0, seconds));
  char text[32];
  if (s >= 3600)
    std::snprintf(text, sizeof text, "%ldh%02ldm", s / 3600, (s % 3600) / 60);
  else if (s >= 60)
    std::snprintf(text, sizeof text, "%ldm%02lds", s / 60, s % 60);
  else
    std::snprintf(text, sizeof text, "%lds", s);
  return text;
}

Progress::Progress(std::string what, size_t total, std::ostream& out, bool terminal)
    : what_(std::move(what)),
      total_(total),
      out_(out),
      terminal_(terminal),
      start_(std::chrono::steady_clock::now()),
      last_shown_(start_) {}

std::string Progress::line() const {
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const int filled = total_ ? int(kBarWidth * done_ / total_) : kBarWidth;
  std::string s = "[" + std::string(size_t(filled), '#') +
                  std::string(size_t(kBarWidth - filled), ' ') + "] " + std::to_string(done_) +
                  "/" + std::to_string(total_) + " " + what_;
  if (failed_) s += ", " + std::to_string(failed_) + " failed";
  if (done_ > 0 && elapsed > 0) {
    char rate[32];
    std::snprintf(rate, sizeof rate, "%.1f", 60.0 * double(done_) / elapsed);
    s += ", " + std::string(rate) + " " + what_ + "/min";
    if (done_ < total_)
      s += ", ETA " + format_duration(elapsed / double(done_) * double(total_ - done_));
  }
  s += ", " + format_duration(elapsed) + " so far";
  return s;
}

void Progress::show(bool force) {
  const auto now = std::chrono::steady_clock::now();
  if (terminal_) {
    out_ << "\r" << line() << "\033[K" << std::flush;
  } else if (force || now - last_shown_ >= kLogInterval) {
    out_ << line() << "\n" << std::flush;
    last_shown_ = now;
  }
  shown_ = true;
}

void Progress::set_done(size_t done, size_t failed) {
  const bool changed = done != done_ || failed != failed_;
  done_ = done;
  failed_ = failed;
  if (changed || terminal_) show(false);
}

void Progress::advance(bool failed) {
  set_done(done_ + 1, failed_ + (failed ? 1 : 0));
}

void Progress::finish() {
  show(!terminal_);
  if (terminal_) out_ << "\n" << std::flush;
}

}  // namespace npusim::sweep
