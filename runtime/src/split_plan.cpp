#include "npusim/runtime/split_plan.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <numeric>

namespace npusim::runtime {

void UnitCurve::add(int64_t n, double span_ps) {
  if (n > 0) points_[n] = span_ps;
}

double UnitCurve::at(int64_t n) const {
  if (n <= 0 || points_.empty()) return 0;
  auto hi = points_.lower_bound(n);
  if (hi != points_.end() && hi->first == n) return hi->second;
  if (hi == points_.end()) {  // beyond the last point: its time per query
    const auto& [m, t] = *points_.rbegin();
    return t / double(m) * double(n);
  }
  const double n0 = hi == points_.begin() ? 0 : double(std::prev(hi)->first);
  const double t0 = hi == points_.begin() ? 0 : std::prev(hi)->second;
  return t0 + (hi->second - t0) * (double(n) - n0) / (double(hi->first) - n0);
}

std::vector<int64_t> proportional_shares(int64_t n, const std::vector<double>& weights) {
  std::vector<int64_t> shares(weights.size(), 0);
  const double total = std::accumulate(weights.begin(), weights.end(), 0.0);
  if (weights.empty() || n <= 0) return shares;
  if (!(total > 0)) {
    shares[0] = n;
    return shares;
  }
  std::vector<std::pair<double, size_t>> remainders;
  int64_t given = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    const double exact = double(n) * weights[i] / total;
    shares[i] = static_cast<int64_t>(std::floor(exact));
    given += shares[i];
    remainders.push_back({exact - double(shares[i]), i});
  }
  std::stable_sort(remainders.begin(), remainders.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (size_t k = 0; given < n; ++k, ++given) ++shares[remainders[k % remainders.size()].second];
  return shares;
}

double predicted_span_ps(const std::vector<int64_t>& shares, const std::vector<UnitCurve>& curves) {
  double worst = 0;
  for (size_t i = 0; i < shares.size(); ++i) worst = std::max(worst, curves[i].at(shares[i]));
  return worst;
}

std::vector<int64_t> best_shares(int64_t n, const std::vector<UnitCurve>& curves) {
  std::vector<double> qps;
  for (const auto& c : curves) qps.push_back(c.qps(std::max<int64_t>(n, 1)));
  std::vector<int64_t> shares = proportional_shares(n, qps);
  double span = predicted_span_ps(shares, curves);
  if (curves.size() == 2) {  // every split, exactly; ties: the one nearest proportional
    const int64_t near = shares[0];
    for (int64_t first = 0; first <= n; ++first) {
      const double t = std::max(curves[0].at(first), curves[1].at(n - first));
      if (t < span || (t == span && std::llabs(first - near) < std::llabs(shares[0] - near))) {
        shares = {first, n - first};
        span = t;
      }
    }
    return shares;
  }
  // More units: greedy. Each move lowers the slowest unit's time or stops: at most n moves per
  // unit.
  for (int64_t guard = 0; guard < n * int64_t(curves.size()) + 1; ++guard) {
    size_t from = 0;
    for (size_t i = 0; i < shares.size(); ++i)
      if (curves[i].at(shares[i]) > curves[from].at(shares[from])) from = i;
    if (shares[from] == 0) break;
    size_t to = from;
    double to_time = 0;
    for (size_t i = 0; i < shares.size(); ++i) {
      if (i == from) continue;
      const double t = curves[i].at(shares[i] + 1);
      if (to == from || t < to_time) to = i, to_time = t;
    }
    if (to == from) break;
    std::vector<int64_t> moved = shares;
    --moved[from];
    ++moved[to];
    const double moved_span = predicted_span_ps(moved, curves);
    if (!(moved_span < span)) break;
    shares = std::move(moved);
    span = moved_span;
  }
  return shares;
}

double BatchPoint::sum_alone_qps() const {
  return std::accumulate(alone_qps.begin(), alone_qps.end(), 0.0);
}

double BatchPoint::best_alone_qps() const {
  return alone_qps.empty() ? 0 : *std::max_element(alone_qps.begin(), alone_qps.end());
}

double BatchPoint::gain() const {
  return best_alone_qps() > 0 ? combined_qps / best_alone_qps() : 0;
}

double BatchPoint::efficiency() const {
  return sum_alone_qps() > 0 ? combined_qps / sum_alone_qps() : 0;
}

size_t best_batch(const std::vector<BatchPoint>& points, double latency_bound_us) {
  size_t best = kNoBatch;
  for (size_t i = 0; i < points.size(); ++i) {
    const BatchPoint& p = points[i];
    if (latency_bound_us > 0 && p.combined_span_us > latency_bound_us) continue;
    if (best == kNoBatch || p.combined_qps > points[best].combined_qps ||
        (p.combined_qps == points[best].combined_qps && p.batch < points[best].batch))
      best = i;
  }
  return best;
}

}  // namespace npusim::runtime
