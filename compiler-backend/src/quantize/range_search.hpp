// Internal to the quantiser: the clipping-range searches behind
// compute_range() (calibration.hpp), one file each.
#pragma once

#include <cstdint>
#include <vector>

#include "npusim/compiler/calibration.hpp"

namespace npusim::compiler::quant {

// The int8 grid a range is quantised on: real = scale * (q - zero_point),
// q in [-128, 127]. Symmetric grids use [-127, 127] with zero point 0.
struct Grid {
  double scale = 1;
  int32_t zero_point = 0;
  int32_t qmin = -128, qmax = 127;
};
// Smallest scale handed out: keeps requantisation multipliers representable
// for tensors that are (nearly) constant zero.
inline constexpr double kMinScale = 1e-7;

Grid grid_for(Range r, bool symmetric);
Range grid_range(const Grid& g);  // the values the grid represents, end to end

// The histogram's mass spread over `n` even bins on [a, b] (each source bin's
// mass evenly over its width; mass outside [a, b] goes to the end bins). With
// `absolute`, the histogram of |x| (a = 0).
std::vector<double> resample(const Histogram& h, double a, double b, int n, bool absolute);

Range percentile_range(const Histogram& h, double percentile, bool symmetric);
Range entropy_range(const Histogram& h, bool symmetric);
// The grid minimising the expected squared error, clipping errors weighted by
// `clip_weight` (1: mean squared error; 3: the SQNR criterion).
Range error_search_range(const Histogram& h, bool symmetric, double clip_weight);
// Expected squared quantisation error of the histogram's values on `grid`
// (values spread evenly within bins), clipped values' errors x clip_weight.
double expected_error(const Histogram& h, const Grid& grid, double clip_weight);

}  // namespace npusim::compiler::quant
