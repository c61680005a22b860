// Entropy calibration (TensorRT's method): the clipping range whose int8
// quantisation keeps the distribution closest to the original, measured by
// the Kullback-Leibler divergence between the clipped histogram and its
// quantised form.
#include <algorithm>
#include <cmath>

#include "range_search.hpp"

namespace npusim::compiler::quant {
namespace {

constexpr int kBins = 2048;
constexpr double kMinValues = 4096;  // fewer non-zero values: min/max
// A window may clip at most this share of the values. Without the bound, on
// data far from 0 (BlazeFace's background score logits, all near -100) a
// window ending where the data starts wins with KL 0: P is then all in its
// end bin, and so is Q. That range clipped 100 % of the values.
constexpr double kMaxClipped = 0.01;

// Mass of hist[0, i) for every i (size n + 1).
std::vector<double> prefix_sums(const std::vector<double>& hist) {
  std::vector<double> sums(hist.size() + 1, 0.0);
  for (size_t i = 0; i < hist.size(); ++i) sums[i + 1] = sums[i] + hist[i];
  return sums;
}

// KL(P || Q) for the window [begin, end) of `hist` and `levels` levels.
// P: the window with the mass outside folded into its end bins (clipping);
// Q: the window without that mass, merged into `levels` groups and spread
// evenly over the bins where P is non-zero. Q lacks the clipped mass, so
// cutting deeper into the distribution costs divergence (were Q built from
// P, a window of `levels` bins would reproduce P exactly).
double kl_divergence(const std::vector<double>& hist, int begin, int end, int levels) {
  const int n = end - begin;
  std::vector<double> p(hist.begin() + begin, hist.begin() + end);
  for (int i = 0; i < begin; ++i) p.front() += hist[i];
  for (int i = end; i < static_cast<int>(hist.size()); ++i) p.back() += hist[i];
  std::vector<double> q(static_cast<size_t>(n), 0.0);
  double p_sum = 0, q_sum = 0;
  for (int level = 0; level < levels; ++level) {
    const int lb = n * level / levels, le = n * (level + 1) / levels;
    double mass = 0;
    int nonzero = 0;
    for (int i = lb; i < le; ++i) {
      mass += hist[begin + i];
      nonzero += p[i] > 0;
    }
    for (int i = lb; i < le; ++i)
      if (p[i] > 0 && nonzero > 0) q[i] = mass / nonzero;
  }
  for (int i = 0; i < n; ++i) {
    p_sum += p[i];
    q_sum += q[i];
  }
  if (p_sum <= 0 || q_sum <= 0) return INFINITY;
  // A bin P has but Q lacks: smoothed with a tiny mass, as TensorRT does.
  const double eps = 1e-4 / n;
  double kl = 0;
  for (int i = 0; i < n; ++i) {
    if (p[i] <= 0) continue;
    const double pi = p[i] / p_sum, qi = std::max(q[i] / q_sum, eps);
    kl += pi * std::log(pi / qi);
  }
  return kl;
}

// Symmetric: the |x| histogram, thresholds from 128 bins up (128 levels of
// int8 magnitude), as TensorRT does, that clip at most kMaxClipped.
Range entropy_symmetric(const Histogram& h) {
  const double a = std::max(std::fabs(h.min()), std::fabs(h.max()));
  if (a <= 0) return {};
  const auto hist = resample(h, 0, a, kBins, true);
  const auto sums = prefix_sums(hist);
  const double total = sums.back(), max_clipped = kMaxClipped * total;
  const int levels = 128;
  double best = INFINITY;
  int best_end = kBins;
  for (int end = levels; end <= kBins; end += 2) {
    if (total - sums[end] > max_clipped) continue;
    const double kl = kl_divergence(hist, 0, end, levels);
    if (kl < best) {
      best = kl;
      best_end = end;
    }
  }
  const float t = static_cast<float>(a * best_end / kBins);
  return {-t, t};
}

// Asymmetric: windows [begin, end) of the signed histogram on [min, max]
// that contain 0 (the range must) and clip at most kMaxClipped, 29 widths
// from 1/8 of the range to all of it, each at up to 33 positions, with 256
// levels. (Without the zero constraint a narrow window far out in a tail
// wins: P is then almost all in one end bin, which Q matches trivially.)
Range entropy_asymmetric(const Histogram& h) {
  const double lo = std::min(h.min(), 0.0), hi = std::max(h.max(), 0.0);
  if (!(hi > lo)) return {};
  const auto hist = resample(h, lo, hi, kBins, false);
  const auto sums = prefix_sums(hist);
  const double max_clipped = kMaxClipped * sums.back();
  const int zero = static_cast<int>(std::lround(-lo / (hi - lo) * kBins));
  const int levels = 256;
  double best = INFINITY;
  int best_begin = 0, best_end = kBins;
  for (int k = 4; k <= 32; ++k) {
    const int width = kBins * k / 32;
    const int first = std::max(0, zero - width), last = std::min(zero, kBins - width);
    const int positions = std::min(32, last - first);
    for (int j = 0; j <= positions; ++j) {
      const int begin = positions == 0 ? first : first + (last - first) * j / positions;
      if (sums[begin] + (sums.back() - sums[begin + width]) > max_clipped) continue;
      const double kl = kl_divergence(hist, begin, begin + width, levels);
      if (kl < best) {
        best = kl;
        best_begin = begin;
        best_end = begin + width;
      }
    }
  }
  const double w = (hi - lo) / kBins;
  return {static_cast<float>(std::min(lo + best_begin * w, 0.0)),
          static_cast<float>(std::max(lo + best_end * w, 0.0))};
}

}  // namespace

Range entropy_range(const Histogram& h, bool symmetric) {
  const Histogram nz = h.without_zeros();
  if (nz.empty()) return {};
  // A divergence between histograms of a few values is noise (all of them
  // in one end bin matches trivially): small tensors, such as the pooled
  // vectors of squeeze-excitation blocks, keep their min/max range.
  if (nz.total() < kMinValues) {
    const double a = std::max(std::fabs(h.min()), std::fabs(h.max()));
    return symmetric ? Range{static_cast<float>(-a), static_cast<float>(a)}
                     : Range{static_cast<float>(std::min(h.min(), 0.0)),
                             static_cast<float>(std::max(h.max(), 0.0))};
  }
  return symmetric ? entropy_symmetric(nz) : entropy_asymmetric(nz);
}

}  // namespace npusim::compiler::quant
