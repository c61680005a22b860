// MSE and SQNR calibration: search the clipping range whose int8 grid gives
// the smallest expected squared error on the histogram. The SQNR criterion
// weights clipping errors 3x (AIMET's SQNR analyser, gamma = 3): outliers
// that carry the signal are costlier to lose than rounding noise, so it
// clips less than plain MSE.
#include <algorithm>
#include <cmath>

#include "range_search.hpp"

namespace npusim::compiler::quant {
namespace {

// R(y) = integral over [0, y] of (t - round(t))^2 dt: rounding error of a
// unit grid, in closed form (1/12 per whole step).
double rounding_integral(double y) {
  const double whole = std::floor(y), f = y - whole;
  const double part = f <= 0.5 ? f * f * f / 3 : 1.0 / 12 - (1 - f) * (1 - f) * (1 - f) / 3;
  return whole / 12 + part;
}

// Integral over [a, b] of (x - c)^2 dx.
double square_integral(double a, double b, double c) {
  return b > a ? (std::pow(b - c, 3) - std::pow(a - c, 3)) / 3 : 0.0;
}

struct Candidate {
  Range range;
  double error = INFINITY;
};

// Evaluates each range of a grid of candidates lo_k x hi_k.
Candidate best_of(const Histogram& h, bool symmetric, double clip_weight,
                  const std::vector<double>& los, const std::vector<double>& his) {
  Candidate best;
  for (double lo : los)
    for (double hi : his) {
      const Range r{static_cast<float>(lo), static_cast<float>(hi)};
      const double e = expected_error(h, grid_for(r, symmetric), clip_weight);
      if (e < best.error) best = {r, e};
    }
  return best;
}

// n + 1 points from a to b.
std::vector<double> steps(double a, double b, int n) {
  std::vector<double> out;
  for (int i = 0; i <= n; ++i) out.push_back(a + (b - a) * i / n);
  return out;
}

}  // namespace

double expected_error(const Histogram& h, const Grid& grid, double clip_weight) {
  const double s = grid.scale;
  const Range ends = grid_range(grid);
  const double lo = ends.lo, hi = ends.hi;
  // Values within half a step of the ends still round to them: clipping starts beyond.
  const double clip_lo = lo - s / 2, clip_hi = hi + s / 2;
  const auto& counts = h.counts();
  double total = 0;
  for (int i = 0; i < Histogram::kBins; ++i) {
    if (counts[i] == 0) continue;
    const double u = h.lo() + i * h.bin_width(), v = u + h.bin_width();
    double e = clip_weight * (square_integral(u, std::min(v, clip_lo), lo) +
                              square_integral(std::max(u, clip_hi), v, hi));
    const double a = std::max(u, clip_lo), b = std::min(v, clip_hi);
    if (b > a) e += s * s * s * (rounding_integral((b - lo) / s) - rounding_integral((a - lo) / s));
    total += counts[i] / h.bin_width() * e;
  }
  return total;
}

Range error_search_range(const Histogram& all, bool symmetric, double clip_weight) {
  const Histogram h = all.without_zeros();
  if (h.empty()) return {};
  const double mn = std::min(h.min(), 0.0), mx = std::max(h.max(), 0.0);
  if (symmetric) {
    const double a = std::max(-mn, mx);
    if (a <= 0) return {};
    // Coarse: 128 thresholds up to max |x|; fine: 64 around the best.
    std::vector<double> ts = steps(a / 128, a, 127);
    auto search = [&](const std::vector<double>& cand) {
      Candidate best;
      for (double t : cand) {
        const Range r{static_cast<float>(-t), static_cast<float>(t)};
        const double e = expected_error(h, grid_for(r, true), clip_weight);
        if (e < best.error) best = {r, e};
      }
      return best;
    };
    const Candidate coarse = search(ts);
    const double t = coarse.range.hi, step = a / 128;
    const Candidate fine = search(steps(std::max(step / 8, t - step), std::min(a, t + step), 64));
    return fine.error < coarse.error ? fine.range : coarse.range;
  }
  // Asymmetric: lo and hi independently (a side with no values stays at 0).
  const int n = 32;
  auto side = [&](double end, int k) {
    return end == 0 ? std::vector<double>{0.0} : steps(end / k, end, k - 1);
  };
  const Candidate coarse = best_of(h, false, clip_weight, side(mn, n), side(mx, n));
  const double dlo = -mn / n, dhi = mx / n;
  auto around = [](double v, double d, double limit_lo, double limit_hi) {
    return d == 0 ? std::vector<double>{v}
                  : steps(std::max(limit_lo, v - d), std::min(limit_hi, v + d), 16);
  };
  const Candidate fine = best_of(h, false, clip_weight, around(coarse.range.lo, dlo, mn, 0.0),
                                 around(coarse.range.hi, dhi, 0.0, mx));
  return fine.error < coarse.error ? fine.range : coarse.range;
}

}  // namespace npusim::compiler::quant
