// QPermute (Transpose, Reshape, Flatten, Squeeze, Unsqueeze). A unit is one
// step of the walk's outermost dimension (permute_walk.hpp). When the input
// bytes a tile of units reads form a span not much larger than the tile's
// output (an image row for NCHW <-> NHWC, or the whole tensor when it fits in
// SRAM), the load engine brings the span in with one DMA and the compute
// engine permutes it in SRAM with strided vec.copy (64 lanes); otherwise the
// load engine gathers the tile with strided DMA walks and the compute engine
// only copies it. vec.lut requantises when the quantisation changes; the store
// engine writes the tile contiguously.
#include <algorithm>

#include "../npu_op_table.hpp"
#include "../npu_ops/permute.hpp"
#include "families.hpp"
#include "permute_walk.hpp"
#include "strided_copy.hpp"

namespace npusim::compiler::codegen {
namespace {

using isa::Engine;
using isa::Field;

// More DMA descriptors than this for one layer: the permutation is too
// scattered for the DMA engines (it runs on the CPU).
constexpr int64_t kMaxDescriptors = 1 << 16;
constexpr int64_t kMaxCount = 65535;         // dma.load's 16-bit cnt1 / cnt2
constexpr int64_t kMaxLen0 = (1 << 24) - 1;  // and 24-bit len0

// Splits row dimensions (all but the units) longer than a DMA count into two.
bool fit_counts(std::vector<GatherDim>& rows) {
  for (size_t d = rows.size(); d-- > 1;) {
    if (rows[d].count <= kMaxCount) continue;
    int64_t k = kMaxCount;
    while (k > 1 && rows[d].count % k != 0) --k;
    if (rows[d].count / k > kMaxCount) return false;
    const GatherDim whole = rows[d];
    rows[d] = {k, whole.stride};
    rows.insert(rows.begin() + d, GatherDim{whole.count / k, whole.stride * k});
  }
  return true;
}

// The walk split for DMA: `len0` contiguous bytes per row; the row
// dimensions, outermost (the units) first.
struct Plan {
  int64_t len0 = 1;
  std::vector<GatherDim> rows;  // rows[0]: the units
  int64_t unit_bytes = 1;       // output bytes per unit
  int64_t per_descriptor = 1;   // rows one DMA covers per unit (dims beyond the last two: loops)
  int64_t base = 0;             // input byte of the walk's start (a slice's first element)
  bool in_sram = false;         // permute in SRAM (set by tile_units)
  bool may_permute_in_sram = false;
  int64_t block = 0, extent = 0;  // input bytes per unit: stride, and span one unit reads
  // Input bytes a tile of `units` reads: from its first unit's start to its last unit's end.
  int64_t span(int64_t units) const { return (units - 1) * block + extent; }
};

// Whether permuting in SRAM is possible at all: vec.copy's counts fit.
void consider_sram_permute(Plan& p) {
  if (p.rows.size() < 2 || p.len0 > kMaxCount) return;
  p.extent = p.len0;
  for (size_t d = 1; d < p.rows.size(); ++d) p.extent += (p.rows[d].count - 1) * p.rows[d].stride;
  p.block = p.rows[0].stride;
  p.may_permute_in_sram = true;
}

std::optional<Plan> plan_of(const Graph& g, const Node& n, std::string& why) {
  const auto a = read_attrs<QPermuteAttrs>(n);
  const SliceView slice{a.starts, a.steps, a.counts};
  const auto walk =
      permute_walk(g.value(n.inputs[0]).shape, slice, a.perm, g.value(n.outputs[0]).shape, why);
  if (!walk) return std::nullopt;
  Plan p;
  p.rows = walk->dims;
  p.base = walk->base;
  if (p.rows.back().stride == 1) {
    p.len0 = p.rows.back().count;
    p.rows.pop_back();
  }
  if (p.rows.empty()) {  // a contiguous copy: units are bytes
    p.rows.push_back({p.len0, 1});
    p.len0 = 1;
  }
  if (p.len0 > kMaxLen0 || !fit_counts(p.rows)) {
    why = "a walk longer than the DMA descriptor's counts";
    return std::nullopt;
  }
  p.unit_bytes = p.len0;
  for (size_t d = 1; d < p.rows.size(); ++d) p.unit_bytes *= p.rows[d].count;
  if (p.rows.size() >= 3) p.per_descriptor = p.rows.back().count * p.rows[p.rows.size() - 2].count;
  if (p.per_descriptor > int64_t(isa::kMaxDmaRows)) {
    why = "a DMA walk of more than 2^20 rows";
    return std::nullopt;
  }
  consider_sram_permute(p);
  const int64_t descriptors = p.rows[0].count * p.unit_bytes / (p.len0 * p.per_descriptor);
  if (!p.may_permute_in_sram && descriptors > kMaxDescriptors) {
    why = "the permutation needs " + std::to_string(descriptors) + " DMA descriptors";
    return std::nullopt;
  }
  return p;
}

BufferedSram layout(const Plan& p, int64_t tile) {
  return buffered_sram(uint64_t(p.in_sram ? p.span(tile) : tile * p.unit_bytes),
                       uint64_t(tile * p.unit_bytes));
}

// Tile for the DMA gather.
int64_t gather_tile(const Plan& p, uint64_t sram) {
  int64_t cap = pipeline_tile_cap(p.rows[0].count, uint64_t(2 * p.unit_bytes));
  if (p.rows.size() <= 2)  // a tile is one DMA: its rows must fit
    cap = std::min<int64_t>({cap, kMaxCount, int64_t(isa::kMaxDmaRows) / (p.unit_bytes / p.len0)});
  return largest_tile(std::min(p.rows[0].count, cap), sram,
                      [&](int64_t t) { return layout(p, t).total; });
}

// Tile for permuting in SRAM, or 0: a tile must read at most twice the bytes
// it writes (so small-stride units come in large tiles, up to the whole tensor).
int64_t sram_permute_tile(Plan p, uint64_t sram) {
  p.in_sram = true;
  const int64_t units = std::min(p.rows[0].count, kMaxCount);
  const int64_t fits = largest_tile(units, sram, [&](int64_t t) { return layout(p, t).total; });
  auto efficient = [&](int64_t t) { return p.span(t) <= 2 * t * p.unit_bytes; };
  int64_t tile =
      std::min(fits, pipeline_tile_cap(p.rows[0].count, uint64_t(p.unit_bytes + p.block)));
  while (tile >= 1 && tile < fits && !efficient(tile)) tile = std::min(fits, 2 * tile);
  return tile >= 1 && efficient(tile) ? tile : 0;
}

// Decides how to move the data (sets p.in_sram) and returns the tile in units.
int64_t tile_units(Plan& p, uint64_t sram) {
  p.in_sram = false;
  if (p.may_permute_in_sram)
    if (const int64_t tile = sram_permute_tile(p, sram); tile > 0) {
      p.in_sram = true;
      return tile;
    }
  const int64_t descriptors = p.rows[0].count * p.unit_bytes / (p.len0 * p.per_descriptor);
  return descriptors > kMaxDescriptors ? 0 : gather_tile(p, sram);
}

// DMA loads gathering units [u0, u1) into `sram`, in output order.
void emit_gather(Streams& s, int slot, DramPlace x, const Plan& p, uint64_t sram, int64_t u0,
                 int64_t u1) {
  std::vector<GatherDim> dims = p.rows;  // outermost first; the units limited to [u0, u1)
  dims[0].count = u1 - u0;
  const uint64_t base = uint64_t(p.base + u0 * dims[0].stride);
  const size_t loops = dims.size() > 2 ? dims.size() - 2 : 0;  // dims done by instruction loops
  const GatherDim inner = dims.back();
  const GatherDim outer = dims.size() >= 2 ? dims[dims.size() - 2] : GatherDim{1, 0};
  int64_t outer_loops = 1;
  for (size_t d = 0; d < loops; ++d) outer_loops *= dims[d].count;
  const uint64_t bytes_per = uint64_t(p.len0 * inner.count * outer.count);
  for (int64_t k = 0; k < outer_loops; ++k) {
    uint64_t offset = base;
    for (int64_t rest = k, d = int64_t(loops) - 1; d >= 0; --d) {
      offset += uint64_t((rest % dims[d].count) * dims[d].stride);
      rest /= dims[d].count;
    }
    Walk w;
    w.len0 = uint64_t(p.len0);
    w.cnt1 = uint64_t(inner.count);
    w.dstride1 = uint64_t(inner.stride);
    w.sstride1 = uint64_t(p.len0);
    w.cnt2 = uint64_t(outer.count);
    w.dstride2 = uint64_t(outer.stride);
    w.sstride2 = uint64_t(p.len0 * inner.count);
    s.emit(slot, Engine::kLoad,
           dma(isa::Opcode::kDmaLoad, x, offset, sram + uint64_t(k) * bytes_per, w));
  }
}

// The in-SRAM permutation of units [0, units) of blocks at `src` into output order at `dst`.
void emit_sram_permute(Streams& s, int slot, const Plan& p, uint64_t src, uint64_t dst,
                       int64_t units) {
  std::vector<CopyDim> dims{{units, p.block, p.unit_bytes}};
  int64_t dst_stride = p.unit_bytes;
  for (size_t d = 1; d < p.rows.size(); ++d) {
    dst_stride /= p.rows[d].count;
    dims.push_back({p.rows[d].count, p.rows[d].stride, dst_stride});
  }
  if (p.len0 > 1) dims.push_back({p.len0, 1, 1});
  std::erase_if(dims, [](const CopyDim& d) { return d.count == 1; });
  if (dims.empty()) dims.push_back({1, 1, 1});
  emit_strided_copy(s, slot, src, dst, dims);
}

}  // namespace

std::string permute_unsupported(const Graph& g, const Node& n, const isa::HwParams& hw) {
  std::string why;
  auto p = plan_of(g, n, why);
  if (!p) return why;
  if (tile_units(*p, hw.sram_per_pe) < 1)
    return "one output row does not fit in SRAM, or too scattered for DMA";
  return "";
}

LayerTraits permute_traits(const Graph& g, const Node& n) {
  return dram_only_traits(g, n);
}

uint64_t permute_min_work(const Graph& g, const Node& n, const isa::HwParams& hw) {
  std::string why;
  auto p = plan_of(g, n, why);
  if (!p) return 0;
  const int64_t tile = tile_units(*p, hw.sram_per_pe);
  if (tile < 1) return 0;
  // A DMA gather works with one unit per tile; a permutation in SRAM needs
  // the tile it found efficient.
  return p->in_sram ? layout(*p, tile).total : layout(*p, 1).total;
}

LayerCode plan_permute(const LayerEnv& e) {
  std::string why;
  Plan p = *plan_of(e.g, e.node, why);
  const int64_t tile = tile_units(p, e.work_bytes);
  const BufferedSram sram = layout(p, tile);
  const DramPlace x = e.at(e.node.inputs[0]), y = e.at(e.node.outputs[0]);
  const OutputTable table = output_table(e.blob, read_attrs<QPermuteAttrs>(e.node).table.table);
  LayerCode code;
  code.units = p.rows[0].count;
  code.sram = sram.total;
  code.summary = tiling_summary(e.node, code.units, tile,
                                p.in_sram ? "units (permuted in SRAM)" : "units (gathered by DMA)",
                                sram.total);
  code.emit = [=](Streams& s, int slot, uint64_t base, int64_t begin, int64_t end) {
    if (begin >= end) return;
    TileSteps steps;
    steps.setup = [&](int) { load_output_table(s, slot, table, base + sram.table); };
    steps.load = [&](int b, int64_t u0, int64_t u1) {
      if (!p.in_sram) return emit_gather(s, slot, x, p, base + sram.in[b], u0, u1);
      const uint64_t bytes = uint64_t(p.span(u1 - u0));
      s.emit(
          slot, Engine::kLoad,
          dma(isa::Opcode::kDmaLoad, x, uint64_t(p.base + u0 * p.block), base + sram.in[b], bytes));
    };
    steps.compute = [&](int b, int64_t u0, int64_t u1) {
      const int64_t len = (u1 - u0) * p.unit_bytes;
      const uint64_t in = base + sram.in[b], out = base + sram.out[b];
      if (p.in_sram) {  // permute, then requantise in place
        emit_sram_permute(s, slot, p, in, out, u1 - u0);
        if (table.requant)
          s.emit(slot, Engine::kCompute, vec_lut(out, out, len, base + sram.table));
        return;
      }
      if (!table.requant) return emit_row_copy(s, slot, in, len, out, len, 1, len);
      s.emit(slot, Engine::kCompute, vec_lut(in, out, len, base + sram.table));
    };
    steps.store = [&](int b, int64_t u0, int64_t u1) {
      s.emit(slot, Engine::kStore,
             dma(isa::Opcode::kDmaStore, y, uint64_t(u0 * p.unit_bytes), base + sram.out[b],
                 uint64_t((u1 - u0) * p.unit_bytes)));
    };
    emit_tiles(s, slot, begin, end, tile, steps);
  };
  return code;
}

}  // namespace npusim::compiler::codegen

namespace npusim::compiler::npu_ops {

// The compiler side of npu_ops/permute.hpp: its code generator and the ONNX ops lowered to it.
void register_compiler_permute(NpuOpTable& t) {
  using namespace codegen;
  const Family family{permute_unsupported, plan_permute, permute_traits, permute_min_work};
  t.add_family("QPermute", family);
  t.add_lowering({"Transpose", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Slice"},
                 lowering::match_permute);
}

}  // namespace npusim::compiler::npu_ops
