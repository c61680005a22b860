// Finding the walk: the transposed shape and the output shape are both
// groupings of one list of "atoms" (factors of the row-major order); each
// atom has an input stride, and the output visits the atoms in its device
// order.
#include "permute_walk.hpp"

#include <algorithm>

#include "layer.hpp"

namespace npusim::compiler::codegen {
namespace {

// Logical axis -> its stride in bytes in device layout.
std::vector<int64_t> device_strides(const Shape& s) {
  const Shape dev = device_shape(s);
  std::vector<int64_t> dev_stride(dev.size(), 1);
  for (size_t d = dev.size(); d-- > 1;) dev_stride[d - 1] = dev_stride[d] * dev[d];
  if (s.size() != 4) return dev_stride;
  static const int nhwc_axis[4] = {0, 3, 1, 2};  // logical NCHW axis -> NHWC axis
  std::vector<int64_t> out(4);
  for (int a = 0; a < 4; ++a) out[a] = dev_stride[nhwc_axis[a]];
  return out;
}

struct Atom {
  int64_t size, stride;
  int out_axis;
};

// Atoms innermost first, or nothing if the two shapes share no factorisation.
std::optional<std::vector<Atom>> atoms(const Shape& t, const std::vector<int64_t>& t_stride,
                                       const Shape& out) {
  std::vector<Atom> list;
  int i = int(t.size()) - 1, j = int(out.size()) - 1;
  int64_t rem_t = i >= 0 ? t[i] : 1, rem_y = j >= 0 ? out[j] : 1, inner_t = 1;
  for (;;) {
    while (i >= 0 && rem_t == 1)
      if (--i >= 0) rem_t = t[i], inner_t = 1;
    while (j >= 0 && rem_y == 1)
      if (--j >= 0) rem_y = out[j];
    if (i < 0 || j < 0) break;
    int64_t a = 0;
    if (rem_t % rem_y == 0)
      a = rem_y;
    else if (rem_y % rem_t == 0)
      a = rem_t;
    else
      return std::nullopt;
    list.push_back({a, t_stride[i] * inner_t, j});
    inner_t *= a;
    rem_t /= a;
    rem_y /= a;
  }
  if (i >= 0 || j >= 0) return std::nullopt;
  return list;
}

}  // namespace

std::optional<PermuteWalk> permute_walk(const Shape& in, const SliceView& slice,
                                        const std::vector<int64_t>& perm, const Shape& out,
                                        std::string& why) {
  const Shape& counts = slice.counts.empty() ? in : slice.counts;
  for (const int64_t d : counts)
    if (d < 1) {
      why = "empty tensor";
      return std::nullopt;
    }
  const std::vector<int64_t> x_stride = device_strides(in);
  PermuteWalk result;
  Shape t(in.size());
  std::vector<int64_t> t_stride(in.size());
  for (size_t a = 0; a < in.size(); ++a) {
    const int64_t step = slice.steps.empty() ? 1 : slice.steps[perm[a]];
    t[a] = counts[perm[a]];
    t_stride[a] = x_stride[perm[a]] * step;
    if (!slice.starts.empty()) result.base += slice.starts[a] * x_stride[a];
  }
  const auto list = atoms(t, t_stride, out);
  if (!list) {
    why = "the reshape regroups axes without a common factorisation";
    return std::nullopt;
  }
  std::vector<GatherDim> walk;  // outermost first
  for (const int axis : device_order(out.size()))
    for (auto it = list->rbegin(); it != list->rend(); ++it)
      if (it->out_axis == axis) walk.push_back({it->size, it->stride});
  std::vector<GatherDim> merged;  // innermost first while merging
  for (auto it = walk.rbegin(); it != walk.rend(); ++it) {
    if (!merged.empty() && it->stride == merged.back().stride * merged.back().count)
      merged.back().count *= it->count;
    else
      merged.push_back(*it);
  }
  std::reverse(merged.begin(), merged.end());
  if (merged.empty()) merged.push_back({1, 1});
  result.dims = std::move(merged);
  return result;
}

}  // namespace npusim::compiler::codegen
