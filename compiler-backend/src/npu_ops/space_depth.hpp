// QDepthToSpace / QSpaceToDepth: ONNX DepthToSpace (DCR and CRD) and
// SpaceToDepth on 8-bit NCHW codes, pure data movement (the pixel shuffle
// of super-resolution and segmentation heads, the space-to-depth stem of
// detectors), through the optional requantisation table.
// The op's attributes, what lowering writes on the node, and its golden
// function: the reference executor's semantics on int8 codes, a gather over
// NCHW written independently of the device's kernels; the same gather is
// the executor's ONNX DepthToSpace / SpaceToDepth on any dtype. Its lowering
// and code generation: npu_ops/space_depth.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "../npu_op.hpp"

namespace npusim::compiler {

// b = blocksize, x [N, C, H, W]:
// QDepthToSpace: y [N, C/b², H·b, W·b], y[n, c, h·b+i, w·b+j] = x[n, k, h, w] with
//   k = (i·b + j)·C/b² + c (mode DCR) or c·b² + i·b + j (mode CRD);
// QSpaceToDepth: y [N, C·b², H/b, W/b], y[n, (i·b + j)·C + c, h, w] = x[n, c, h·b+i, w·b+j];
// then y = table[(uint8) y] when there is a table (another output quantisation).
struct QSpaceDepthAttrs {
  enum Mode : int64_t { kDcr = 0, kCrd = 1 };
  int64_t blocksize = 1;
  int64_t mode = kDcr;  // QDepthToSpace only
  TableStage table;

  template <typename V>
  void visit(V&& v) {
    v("blocksize", blocksize), v("mode", mode), table.visit(v);
  }
};

namespace npu_ops {

// The shapes of x and y, checked: [N, C, H, W] each.
struct SpaceDepthShapes {
  int64_t n, c, h, w;     // x
  int64_t yc, yh, yw, b;  // y, and the block size
};

inline SpaceDepthShapes space_depth_shapes(const Shape& x, int64_t b, bool to_space) {
  if (x.size() != 4) fail("needs a 4-D (NCHW) input");
  if (b < 1) fail("blocksize must be at least 1");
  SpaceDepthShapes s{x[0], x[1], x[2], x[3], 0, 0, 0, b};
  if (to_space) {
    if (s.c % (b * b) != 0) fail("channels are not a multiple of blocksize²");
    s.yc = s.c / (b * b), s.yh = s.h * b, s.yw = s.w * b;
  } else {
    if (s.h % b != 0 || s.w % b != 0) fail("height and width are not multiples of blocksize");
    s.yc = s.c * b * b, s.yh = s.h / b, s.yw = s.w / b;
  }
  return s;
}

// Per axis of y, the offset in x that each index adds: element (n, k, h, w)
// of y is x's element t[0][n] + t[1][k] + t[2][h] + t[3][w] (both layouts
// split b out of an axis, so each part of the source depends on one axis).
inline std::vector<std::vector<int64_t>> space_depth_tables(const SpaceDepthShapes& s,
                                                            bool to_space, bool crd) {
  const int64_t b = s.b, plane = s.h * s.w;
  std::vector<std::vector<int64_t>> t{std::vector<int64_t>(s.n), std::vector<int64_t>(s.yc),
                                      std::vector<int64_t>(s.yh), std::vector<int64_t>(s.yw)};
  for (int64_t n = 0; n < s.n; ++n) t[0][n] = n * s.c * plane;
  if (to_space) {  // x channel (i·b + j)·yc + k (DCR) or k·b² + i·b + j (CRD)
    const int64_t ci = crd ? b : b * s.yc, cj = crd ? 1 : s.yc, ck = crd ? b * b : 1;
    for (int64_t k = 0; k < s.yc; ++k) t[1][k] = k * ck * plane;
    for (int64_t h = 0; h < s.yh; ++h) t[2][h] = (h % b) * ci * plane + (h / b) * s.w;
    for (int64_t w = 0; w < s.yw; ++w) t[3][w] = (w % b) * cj * plane + w / b;
  } else {  // y channel k = (i·b + j)·c + channel: x row h·b + i, column w·b + j
    for (int64_t k = 0; k < s.yc; ++k) {
      const int64_t block = k / s.c;
      t[1][k] = (k % s.c) * plane + (block / b) * s.w + block % b;
    }
    for (int64_t h = 0; h < s.yh; ++h) t[2][h] = h * b * s.w;
    for (int64_t w = 0; w < s.yw; ++w) t[3][w] = w * b;
  }
  return t;
}

// QDepthToSpace / QSpaceToDepth: the move, then the optional table.
template <bool kToSpace>
std::vector<Tensor> qspace_depth(const OpContext& c, const QSpaceDepthAttrs& a) {
  const Tensor& x = c.in(0);
  require_8bit(x, "input X");
  const SpaceDepthShapes s = space_depth_shapes(x.shape(), a.blocksize, kToSpace);
  Tensor moved =
      gather_by_tables(x, {s.n, s.yc, s.yh, s.yw},
                       space_depth_tables(s, kToSpace, a.mode == QSpaceDepthAttrs::kCrd));
  const Ints& table = a.table.table;
  if (table.empty()) return {std::move(moved)};
  Tensor y(out_type(a.table.y_signed), moved.shape());
  for (int64_t i = 0; i < y.size(); ++i) set_element(y, i, lookup(table, element(moved, i)));
  return {std::move(y)};
}

inline std::vector<Tensor> qdepth_to_space(const OpContext& c, const QSpaceDepthAttrs& a) {
  return qspace_depth<true>(c, a);
}

inline std::vector<Tensor> qspace_to_depth(const OpContext& c, const QSpaceDepthAttrs& a) {
  return qspace_depth<false>(c, a);
}

// ONNX DepthToSpace / SpaceToDepth on any dtype: the executor's CPU path.
template <bool kToSpace>
std::vector<Tensor> onnx_space_depth(const OpContext& c) {
  const Tensor& x = c.in(0);
  const std::string mode = c.s("mode", "DCR");
  if (kToSpace && mode != "DCR" && mode != "CRD") fail("mode must be DCR or CRD, not " + mode);
  const SpaceDepthShapes s = space_depth_shapes(x.shape(), c.i("blocksize", 0), kToSpace);
  return {
      gather_by_tables(x, {s.n, s.yc, s.yh, s.yw}, space_depth_tables(s, kToSpace, mode == "CRD"))};
}

inline void register_golden_space_depth(Goldens& goldens) {
  goldens.add<qdepth_to_space>("QDepthToSpace");
  goldens.add<qspace_to_depth>("QSpaceToDepth");
  goldens.add_onnx("DepthToSpace", onnx_space_depth<true>);
  goldens.add_onnx("SpaceToDepth", onnx_space_depth<false>);
}

}  // namespace npu_ops
}  // namespace npusim::compiler
