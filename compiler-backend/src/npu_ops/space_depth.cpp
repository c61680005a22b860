// The compiler side of QDepthToSpace / QSpaceToDepth (npu_ops/space_depth.hpp).
//
// Lowering: DequantizeLinear -> DepthToSpace (DCR, CRD) | SpaceToDepth ->
// QuantizeLinear, 4-D, any block size; a different output quantisation is a
// table after the move (the quantizer gives data movement its input's
// parameters, so usually there is none).
//
// Code generation: in device layout (NHWC) one input row of QDepthToSpace
// is b whole output rows, and b input rows of QSpaceToDepth are one output
// row, the same bytes on both sides; so a unit is such a run of rows,
// contiguous in DRAM in and out. A tile of units is loaded with one DMA,
// rearranged in SRAM by strided vec.copy (one to b per unit), requantised in
// place by vec.lut if the table says so, and stored with one DMA.
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "../codegen/families.hpp"
#include "../codegen/strided_copy.hpp"
#include "../npu_op_table.hpp"
#include "npusim/isa/program.hpp"
#include "space_depth.hpp"

namespace npusim::compiler {
namespace lowering {
namespace {

std::optional<Rewrite> match_space_depth(const Graph& g, const Node& n, Notes& notes) {
  auto reject = [&](const std::string& why) {
    notes[n.describe()] = why;
    return std::nullopt;
  };
  const bool to_space = n.op == "DepthToSpace";
  std::string why;
  auto m = unary_qdq_rewrite(g, n, to_space ? "QDepthToSpace" : "QSpaceToDepth", why);
  if (!m) return reject(why);
  const Value& x = g.value(n.inputs[0]);
  if (!x.rank_known || x.shape.size() != 4 || element_count(x.shape) < 1)
    return reject("only 4-D (NCHW) tensors of known shape run on the NPU");
  const int64_t b = n.i("blocksize", 0);
  const std::string mode = n.s("mode", "DCR");
  if (b < 1) return reject("blocksize must be at least 1");
  if (to_space && mode != "DCR" && mode != "CRD") return reject("mode " + mode + " is unknown");
  if (to_space ? x.shape[1] % (b * b) != 0 : (x.shape[2] % b != 0 || x.shape[3] % b != 0))
    return reject("the blocks do not divide the input");
  update_attrs<QSpaceDepthAttrs>(m->rewrite.node, [&](QSpaceDepthAttrs& a) {
    a.blocksize = b;
    a.mode = mode == "CRD" ? QSpaceDepthAttrs::kCrd : QSpaceDepthAttrs::kDcr;
    if (!same_quant(m->x, m->y)) a.table.table = requant_table(m->x, m->y);
  });
  return m->rewrite;
}

}  // namespace
}  // namespace lowering

namespace codegen {
namespace {

using isa::Engine;
using isa::Field;

// A unit (see the top) of `unit_bytes` in both layouts; `dims` (outermost
// first) take a unit's bytes from input order to output order.
struct Geometry {
  int64_t units = 0, unit_bytes = 0;
  std::vector<CopyDim> dims;
};

std::optional<Geometry> geometry(const Graph& g, const Node& n, std::string& why) {
  const Shape& x = g.value(n.inputs[0]).shape;
  const auto a = read_attrs<QSpaceDepthAttrs>(n);
  const int64_t b = a.blocksize;
  if (x.size() != 4 || b < 1) {
    why = n.op + " needs a 4-D input and a block size";
    return std::nullopt;
  }
  const int64_t images = x[0], c = x[1], h = x[2], w = x[3];
  const bool to_space = n.op == "QDepthToSpace";
  if (to_space ? c % (b * b) != 0 : (h % b != 0 || w % b != 0)) {
    why = "the blocks do not divide the input";
    return std::nullopt;
  }
  Geometry geo;
  if (to_space) {  // unit: an input row [w][c] = b output rows [b][w*b][c/b²]
    const int64_t oc = c / (b * b);
    geo.units = images * h;
    geo.unit_bytes = w * c;
    if (a.mode == QSpaceDepthAttrs::kCrd)  // input channel (oc, i, j) -> output (i, w, j, oc)
      geo.dims = {{b, b, w * b * oc}, {w, c, b * oc}, {b, 1, oc}, {oc, b * b, 1}};
    else  // input channel (i, j, oc) -> output (i, w, j, oc): (j, oc) stay together
      geo.dims = {{b, b * oc, w * b * oc}, {w, c, b * oc}, {b * oc, 1, 1}};
  } else {  // unit: b input rows [b][w][c] = an output row [w/b][b*b*c]
    geo.units = images * (h / b);
    geo.unit_bytes = b * w * c;
    geo.dims = {{b, w * c, b * c}, {w / b, b * c, b * b * c}, {b * c, 1, 1}};
  }
  std::erase_if(geo.dims, [](const CopyDim& d) { return d.count == 1; });
  for (const CopyDim& d : geo.dims)
    if (d.count > kMaxCopyCount) {
      why = "a dimension above vec.copy's 16-bit counts";
      return std::nullopt;
    }
  return geo;
}

BufferedSram layout(const Geometry& geo, int64_t units) {
  return buffered_sram(uint64_t(units * geo.unit_bytes), uint64_t(units * geo.unit_bytes));
}

int64_t tile_units(const Geometry& geo, uint64_t sram) {
  const int64_t cap = pipeline_tile_cap(geo.units, uint64_t(geo.unit_bytes));
  return largest_tile(std::min(geo.units, cap), sram,
                      [&](int64_t u) { return layout(geo, u).total; });
}

// Rearranges `units` units from `src` (input order) to `dst` (output order):
// vec.copy takes the innermost three dimensions, the others are loops.
void emit_rearrange(Streams& s, int slot, const Geometry& geo, uint64_t src, uint64_t dst,
                    int64_t units) {
  std::vector<CopyDim> dims{{units, geo.unit_bytes, geo.unit_bytes}};
  dims.insert(dims.end(), geo.dims.begin(), geo.dims.end());
  while (dims.size() < 3) dims.insert(dims.begin() + 1, CopyDim{1, 0, 0});
  emit_strided_copy(s, slot, src, dst, dims);
}

std::string space_depth_unsupported(const Graph& g, const Node& n, const isa::HwParams& hw) {
  std::string why;
  const auto geo = geometry(g, n, why);
  if (!geo) return why;
  if (tile_units(*geo, hw.sram_per_pe) < 1) return "one unit of rows does not fit in SRAM";
  return "";
}

uint64_t space_depth_min_work(const Graph& g, const Node& n, const isa::HwParams&) {
  std::string why;
  const auto geo = geometry(g, n, why);
  return geo ? layout(*geo, 1).total : 0;
}

LayerCode plan_space_depth(const LayerEnv& e) {
  std::string why;
  const Geometry geo = *geometry(e.g, e.node, why);
  const int64_t tile = tile_units(geo, e.work_bytes);
  const BufferedSram p = layout(geo, tile);
  const DramPlace x = e.at(e.node.inputs[0]), y = e.at(e.node.outputs[0]);
  const OutputTable table = output_table(e.blob, read_attrs<QSpaceDepthAttrs>(e.node).table.table);
  const uint64_t bytes = uint64_t(geo.unit_bytes);
  LayerCode code;
  code.units = geo.units;
  code.sram = p.total;
  code.summary =
      tiling_summary(e.node, code.units, tile,
                     e.node.op == "QDepthToSpace" ? "input rows" : "output rows", p.total);
  code.emit = [=](Streams& s, int slot, uint64_t base, int64_t begin, int64_t end) {
    if (begin >= end) return;
    TileSteps steps;
    steps.setup = [&](int) { load_output_table(s, slot, table, base + p.table); };
    steps.load = [&](int b, int64_t u0, int64_t u1) {
      s.emit(slot, Engine::kLoad,
             dma(isa::Opcode::kDmaLoad, x, u0 * bytes, base + p.in[b], (u1 - u0) * bytes));
    };
    steps.compute = [&](int b, int64_t u0, int64_t u1) {
      emit_rearrange(s, slot, geo, base + p.in[b], base + p.out[b], u1 - u0);
      if (table.requant)
        s.emit(
            slot, Engine::kCompute,
            vec_lut(base + p.out[b], base + p.out[b], int64_t((u1 - u0) * bytes), base + p.table));
    };
    steps.store = [&](int b, int64_t u0, int64_t u1) {
      s.emit(slot, Engine::kStore,
             dma(isa::Opcode::kDmaStore, y, u0 * bytes, base + p.out[b], (u1 - u0) * bytes));
    };
    emit_tiles(s, slot, begin, end, tile, steps);
  };
  return code;
}

}  // namespace
}  // namespace codegen

namespace npu_ops {

void register_compiler_space_depth(NpuOpTable& t) {
  const codegen::Family family{codegen::space_depth_unsupported, codegen::plan_space_depth,
                               codegen::dram_only_traits, codegen::space_depth_min_work};
  t.add_family("QDepthToSpace", family);
  t.add_family("QSpaceToDepth", family);
  t.add_lowering({"DepthToSpace", "SpaceToDepth"}, lowering::match_space_depth);
}

}  // namespace npu_ops
}  // namespace npusim::compiler
