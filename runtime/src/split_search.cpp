#include "npusim/runtime/split_search.hpp"

#include <algorithm>

namespace npusim::runtime {

namespace {

double qps(int64_t n, uint64_t span_ps) {
  return span_ps ? double(n) / (double(span_ps) * 1e-12) : 0;
}

// Unit i alone on n queries, from its cost model or simulated.
uint64_t alone(CoopRunner& runner, size_t i, int64_t n, const QueryInputs& inputs) {
  uint64_t span = 0;
  if (runner.exact_span(i, n, &span)) return span;
  return runner.alone_span_ps(i, n, inputs);
}

}  // namespace

std::vector<BatchPoint> search_batches(CoopRunner& runner, const QueryInputs& inputs,
                                       const SearchOptions& options) {
  const size_t units = runner.units().size();
  std::vector<UnitCurve> curves(units);
  auto say = [&](const std::string& s) {
    if (options.progress) options.progress(s);
  };
  std::vector<BatchPoint> points;
  for (int64_t batch : options.batch_sizes) {
    BatchPoint p;
    p.batch = batch;
    const std::string tag = "batch " + std::to_string(batch) + ": ";
    for (size_t i = 0; i < units; ++i) {
      say(tag + runner.units()[i].spec.name + " alone");
      const uint64_t span = alone(runner, i, batch, inputs);
      curves[i].add(batch, double(span));
      p.alone_qps.push_back(qps(batch, span));
      // The CPU unit's curve is known everywhere: every share's time, exactly.
      uint64_t exact = 0;
      if (runner.exact_span(i, 1, &exact))
        for (int64_t n = 1; n < batch; ++n)
          if (!curves[i].measured(n) && runner.exact_span(i, n, &exact))
            curves[i].add(n, double(exact));
    }
    if (units == 1) {
      p.shares = {batch};
      p.combined_qps = p.alone_qps[0];
      p.combined_span_us = double(batch) / p.combined_qps * 1e6;
      points.push_back(p);
      continue;
    }
    std::vector<std::vector<int64_t>> tried;
    for (int round = 0; round < options.rounds; ++round) {
      const std::vector<int64_t> shares = best_shares(batch, curves);
      if (std::find(tried.begin(), tried.end(), shares) != tried.end()) break;
      tried.push_back(shares);
      std::string split;
      for (int64_t s : shares) split += (split.empty() ? "" : ":") + std::to_string(s);
      say(tag + "together, split " + split);
      const BatchResult r = runner.run(shares, inputs);
      for (const UnitPart& part : r.parts) curves[part.unit].add(part.count, double(part.span_ps));
      const double q = qps(batch, r.span_ps);
      if (q > p.combined_qps) {
        p.combined_qps = q;
        p.combined_span_us = double(r.span_ps) / 1e6;
        p.shares = shares;
      }
    }
    points.push_back(p);
  }
  return points;
}

}  // namespace npusim::runtime
