// The calibration histogram (calibration.hpp): a fixed number of bins over a
// range that doubles in width when a value falls outside it.
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "npusim/compiler/calibration.hpp"

namespace npusim::compiler {
namespace {

// A first range must have some width even when every value is equal.
double initial_width(double lo, double hi) {
  const double span = hi - lo;
  const double floor_span = 1e-6 * std::max(1.0, std::fabs(lo));
  return std::max(span, floor_span) / Histogram::kBins;
}

}  // namespace

void Histogram::double_width(bool extend_up) {
  std::vector<double> merged(kBins, 0.0);
  const int half = kBins / 2;
  for (int i = 0; i < half; ++i)
    merged[(extend_up ? 0 : half) + i] = counts_[2 * i] + counts_[2 * i + 1];
  // Extending down keeps the old top edge: the old bins become the upper half.
  if (!extend_up) lo_ -= kBins * width_;
  width_ *= 2;
  counts_ = std::move(merged);
}

void Histogram::cover(double lo, double hi) {
  if (counts_.empty()) {
    counts_.assign(kBins, 0.0);
    lo_ = lo;
    width_ = initial_width(lo, hi);
    return;
  }
  while (lo < lo_) double_width(false);
  while (hi > lo_ + kBins * width_) double_width(true);
}

void Histogram::add(std::span<const float> values) {
  double lo = INFINITY, hi = -INFINITY;
  for (float v : values)
    if (std::isfinite(v)) {
      lo = std::min(lo, double(v));
      hi = std::max(hi, double(v));
    }
  if (lo > hi) return;  // nothing finite
  cover(lo, hi);
  min_ = total_ == 0 ? lo : std::min(min_, lo);
  max_ = total_ == 0 ? hi : std::max(max_, hi);
  const double inv = 1.0 / width_;
  for (float v : values) {
    if (!std::isfinite(v)) continue;
    const auto bin = static_cast<int64_t>((double(v) - lo_) * inv);
    counts_[std::clamp<int64_t>(bin, 0, kBins - 1)] += 1;
    total_ += 1;
    zeros_ += v == 0.0f;
  }
}

double Histogram::mass(double a, double b) const {
  if (counts_.empty() || b <= a) return 0;
  const int first = static_cast<int>(std::clamp(std::floor((a - lo_) / width_), 0.0, kBins - 1.0));
  const int last = static_cast<int>(std::clamp(std::floor((b - lo_) / width_), 0.0, kBins - 1.0));
  double m = 0;
  for (int i = first; i <= last; ++i) {
    const double u = lo_ + i * width_, v = u + width_;
    const double overlap = std::min(b, v) - std::max(a, u);
    if (overlap > 0) m += counts_[i] * overlap / width_;
  }
  return m;
}

Histogram Histogram::without_zeros() const {
  Histogram h = *this;
  if (zeros_ == 0) return h;
  const auto bin = static_cast<int64_t>((0.0 - lo_) / width_);
  h.counts_[std::clamp<int64_t>(bin, 0, kBins - 1)] -= zeros_;
  h.total_ -= zeros_;
  h.zeros_ = 0;
  return h;
}

Histogram Histogram::from_parts(double lo, double bin_width, std::vector<double> counts, double min,
                                double max) {
  if (counts.size() != kBins || !(bin_width > 0))
    throw std::invalid_argument("Histogram::from_parts: need " + std::to_string(kBins) +
                                " counts and a positive bin width");
  Histogram h;
  h.lo_ = lo;
  h.width_ = bin_width;
  h.counts_ = std::move(counts);
  for (double c : h.counts_) h.total_ += c;
  h.min_ = min;
  h.max_ = max;
  return h;
}

}  // namespace npusim::compiler
