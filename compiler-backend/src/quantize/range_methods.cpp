// Range methods by name, the min/max and percentile ranges, and the int8
// grid of a range (calibration.hpp, range_search.hpp).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <stdexcept>

#include "range_search.hpp"

namespace npusim::compiler {
namespace quant {
namespace {

// Bisection for the x in [a, b] where the increasing `f` reaches `target`.
template <typename F>
double solve_increasing(F f, double a, double b, double target) {
  for (int i = 0; i < 60; ++i) {
    const double mid = 0.5 * (a + b);
    (f(mid) < target ? a : b) = mid;
  }
  return 0.5 * (a + b);
}

Range with_zero(double lo, double hi) {
  return {static_cast<float>(std::min(lo, 0.0)), static_cast<float>(std::max(hi, 0.0))};
}

}  // namespace

Grid grid_for(Range r, bool symmetric) {
  Grid g;
  if (symmetric) {
    g.qmin = -127;
    g.scale =
        std::max(std::max(std::fabs(double(r.lo)), std::fabs(double(r.hi))) / 127.0, kMinScale);
    return g;
  }
  g.scale = std::max((double(r.hi) - double(r.lo)) / 255.0, kMinScale);
  g.zero_point =
      static_cast<int32_t>(std::clamp(std::round(-128.0 - r.lo / g.scale), -128.0, 127.0));
  return g;
}

Range grid_range(const Grid& g) {
  return {static_cast<float>(g.scale * (g.qmin - g.zero_point)),
          static_cast<float>(g.scale * (g.qmax - g.zero_point))};
}

std::vector<double> resample(const Histogram& h, double a, double b, int n, bool absolute) {
  std::vector<double> out(n, 0.0);
  const double w = (b - a) / n;
  if (!(w > 0)) {
    out[0] = h.total();
    return out;
  }
  // Adds mass m spread evenly over [u, v) (clamped into [a, b]).
  auto spread = [&](double u, double v, double m) {
    const double len = v - u;
    const int first = static_cast<int>(std::clamp(std::floor((u - a) / w), 0.0, n - 1.0));
    const int last = static_cast<int>(std::clamp(std::floor((v - a) / w), 0.0, n - 1.0));
    if (first == last || len <= 0) {
      out[first] += m;
      return;
    }
    double placed = 0;
    for (int i = first; i <= last; ++i) {
      const double lo = i == first ? u : a + i * w, hi = i == last ? v : a + (i + 1) * w;
      const double part = m * std::max(0.0, hi - lo) / len;
      out[i] += part;
      placed += part;
    }
    out[last] += m - placed;  // rounding remainder, and mass beyond b
  };
  const auto& c = h.counts();
  for (int i = 0; i < Histogram::kBins; ++i) {
    if (c[i] == 0) continue;
    const double u = h.lo() + i * h.bin_width(), v = u + h.bin_width();
    if (!absolute || u >= 0) {
      spread(u, v, c[i]);
    } else if (v <= 0) {
      spread(-v, -u, c[i]);
    } else {  // straddles zero: both halves fold onto [0, ...)
      spread(0, -u, c[i] * (-u) / (v - u));
      spread(0, v, c[i] * v / (v - u));
    }
  }
  return out;
}

Range percentile_range(const Histogram& h, double percentile, bool symmetric) {
  const double cut = (1.0 - percentile / 100.0) * h.total();
  if (symmetric) {
    const double a = std::max(std::fabs(h.min()), std::fabs(h.max()));
    // Values kept within [-t, t] grow with t; find where the rest is `cut`.
    const double t =
        solve_increasing([&](double x) { return h.mass(-x, x); }, 0.0, a, h.total() - cut);
    return {static_cast<float>(-t), static_cast<float>(t)};
  }
  // Asymmetric: half of the cut from each tail.
  auto below = [&](double x) { return h.mass(h.lo(), x); };
  const double lo = solve_increasing(below, h.min(), h.max(), cut / 2);
  const double hi = solve_increasing(below, h.min(), h.max(), h.total() - cut / 2);
  return with_zero(lo, hi);
}

}  // namespace quant

RangeMethod parse_range_method(const std::string& name, double percentile) {
  static const std::map<std::string, RangeMethodKind> kinds = {
      {"minmax", RangeMethodKind::kMinMax},
      {"percentile", RangeMethodKind::kPercentile},
      {"entropy", RangeMethodKind::kEntropy},
      {"mse", RangeMethodKind::kMse},
      {"sqnr", RangeMethodKind::kSqnr}};
  std::string base = name;
  std::transform(base.begin(), base.end(), base.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  RangeMethod m;
  m.percentile = percentile;
  for (const char* suffix : {"-sym", "-asym", "_sym", "_asym"}) {
    const std::string s = suffix;
    if (base.size() > s.size() && base.compare(base.size() - s.size(), s.size(), s) == 0) {
      m.symmetric = s.find("asym") == std::string::npos;
      base.resize(base.size() - s.size());
      break;
    }
  }
  std::replace(base.begin(), base.end(), '_', '-');
  if (base == "min-max") base = "minmax";
  auto it = kinds.find(base);
  if (it == kinds.end())
    throw std::invalid_argument("unknown calibration method \"" + name +
                                "\" (minmax, percentile, entropy, mse or sqnr, each with "
                                "-asym or -sym)");
  if (!(percentile > 0 && percentile <= 100))
    throw std::invalid_argument("percentile must be in (0, 100], got " +
                                std::to_string(percentile));
  m.kind = it->second;
  return m;
}

std::string range_method_name(const RangeMethod& m) {
  static const char* names[] = {"minmax", "percentile", "entropy", "mse", "sqnr"};
  return std::string(names[static_cast<int>(m.kind)]) + (m.symmetric ? "-sym" : "-asym");
}

std::vector<RangeMethod> all_range_methods(double percentile) {
  std::vector<RangeMethod> out;
  for (auto kind : {RangeMethodKind::kMinMax, RangeMethodKind::kPercentile,
                    RangeMethodKind::kEntropy, RangeMethodKind::kMse, RangeMethodKind::kSqnr})
    for (bool sym : {false, true}) out.push_back({kind, sym, percentile});
  return out;
}

Range compute_range(const Histogram& h, const RangeMethod& m) {
  if (h.empty()) return {};
  const double a = std::max(std::fabs(h.min()), std::fabs(h.max()));
  switch (m.kind) {
    case RangeMethodKind::kMinMax:
      return m.symmetric ? Range{static_cast<float>(-a), static_cast<float>(a)}
                         : Range{static_cast<float>(std::min(h.min(), 0.0)),
                                 static_cast<float>(std::max(h.max(), 0.0))};
    case RangeMethodKind::kPercentile:
      return quant::percentile_range(h, m.percentile, m.symmetric);
    case RangeMethodKind::kEntropy:
      return quant::entropy_range(h, m.symmetric);
    case RangeMethodKind::kMse:
      return quant::error_search_range(h, m.symmetric, 1.0);
    case RangeMethodKind::kSqnr:
      return quant::error_search_range(h, m.symmetric, 3.0);
  }
  return {};
}

}  // namespace npusim::compiler
