// How a batch is split between cooperating units, and which batch size to
// run (docs/coop.md): shares in proportion to the units' throughput, refined
// on each unit's measured time curve, and the batch size of highest
// combined throughput within a latency bound. Pure functions: the search is
// tested on curves whose optimum is known exactly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

namespace npusim::runtime {

// A unit's time for n queries (all there at time 0), from measurements:
// 0 at n = 0, linear between measured points, beyond the last one by the
// last point's time per query.
class UnitCurve {
 public:
  void add(int64_t n, double span_ps);
  bool measured(int64_t n) const { return points_.count(n) > 0; }
  double at(int64_t n) const;
  double qps(int64_t n) const { return n > 0 ? double(n) / (at(n) * 1e-12) : 0; }

 private:
  std::map<int64_t, double> points_;
};

// `n` queries in proportion to `weights` (throughputs), largest remainder
// first (ties to the earlier unit); shares add up to n.
std::vector<int64_t> proportional_shares(int64_t n, const std::vector<double>& weights);

// The shares of `n` queries that minimise the predicted time of the
// slowest unit, max_i curves[i].at(share_i). Two units: every split is
// tried (ties: the one nearest the proportional split). More: from the
// proportional shares, one query at a time moves from the unit that ends
// last to the unit that would end earliest with it, while the time drops.
std::vector<int64_t> best_shares(int64_t n, const std::vector<UnitCurve>& curves);

// The predicted time of the slowest unit for `shares`.
double predicted_span_ps(const std::vector<int64_t>& shares, const std::vector<UnitCurve>& curves);

// One batch size's figures.
struct BatchPoint {
  int64_t batch = 0;
  std::vector<double> alone_qps;  // each unit alone on the whole batch
  std::vector<int64_t> shares;    // the split found
  double combined_qps = 0;        // measured with those shares
  double combined_span_us = 0;    // the batch's latency: start to merge
  double sum_alone_qps() const;
  double best_alone_qps() const;
  double gain() const;        // combined over the best unit alone
  double efficiency() const;  // combined over the sum of the units alone
};

inline constexpr size_t kNoBatch = static_cast<size_t>(-1);

// The point of highest combined throughput whose latency is within
// `latency_bound_us` (0: no bound); kNoBatch when none is. Ties: the smaller batch.
size_t best_batch(const std::vector<BatchPoint>& points, double latency_bound_us = 0);

}  // namespace npusim::runtime
