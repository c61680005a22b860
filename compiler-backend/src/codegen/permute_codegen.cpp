// QPermute (Transpose, Reshape, Flatten, Squeeze, Unsqueeze): the load engine
// gathers each tile of output rows from the input with strided DMA walks
// (permute_walk.hpp), the compute engine copies it to the output buffer,
// through vec.lut when the quantisation changes, and the store engine writes
// it contiguously. A unit is one step of the walk's outermost dimension.
#include <algorithm>

#include "families.hpp"
#include "permute_walk.hpp"

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
};

std::optional<Plan> plan_of(const Graph& g, const Node& n, std::string& why) {
  const auto walk =
      permute_walk(g.value(n.inputs[0]).shape, n.ints("perm"), g.value(n.outputs[0]).shape, why);
  if (!walk) return std::nullopt;
  Plan p;
  p.rows = *walk;
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
  const int64_t descriptors = p.rows[0].count * p.unit_bytes / (p.len0 * p.per_descriptor);
  if (descriptors > kMaxDescriptors) {
    why = "the permutation needs " + std::to_string(descriptors) + " DMA descriptors";
    return std::nullopt;
  }
  return p;
}

struct Sram {
  uint64_t table = 0, in[2] = {0, 0}, out[2] = {0, 0}, total = 0;
};

Sram layout(const Plan& p, int64_t tile) {
  SramLayout l;
  Sram s;
  s.table = l.take(256);
  for (int b = 0; b < 2; ++b) {
    s.in[b] = l.take(uint64_t(tile * p.unit_bytes));
    s.out[b] = l.take(uint64_t(tile * p.unit_bytes));
  }
  s.total = l.total();
  return s;
}

int64_t tile_units(const Plan& p, const isa::HwParams& hw) {
  int64_t cap = pipeline_tile_cap(p.rows[0].count, uint64_t(2 * p.unit_bytes));
  // With one or two row dimensions, a tile is one DMA: its rows must fit.
  if (p.rows.size() <= 2)
    cap = std::min<int64_t>({cap, kMaxCount, int64_t(isa::kMaxDmaRows) / (p.unit_bytes / p.len0)});
  return largest_tile(std::min(p.rows[0].count, cap), hw.sram_per_pe,
                      [&](int64_t t) { return layout(p, t).total; });
}

// DMA loads gathering units [u0, u1) into `sram`, in output order.
void emit_gather(Streams& s, int slot, DramPlace x, const Plan& p, uint64_t sram, int64_t u0,
                 int64_t u1) {
  std::vector<GatherDim> dims = p.rows;  // outermost first; the units limited to [u0, u1)
  dims[0].count = u1 - u0;
  const uint64_t base = uint64_t(u0 * dims[0].stride);
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

}  // namespace

std::string permute_unsupported(const Graph& g, const Node& n, const isa::HwParams& hw) {
  std::string why;
  const auto p = plan_of(g, n, why);
  if (!p) return why;
  if (tile_units(*p, hw) < 1) return "one output row does not fit in SRAM";
  return "";
}

LayerCode plan_permute(const LayerEnv& e) {
  std::string why;
  const Plan p = *plan_of(e.g, e.node, why);
  const int64_t tile = tile_units(p, e.hw);
  const Sram sram = layout(p, tile);
  const DramPlace x = e.at(e.node.inputs[0]), y = e.at(e.node.outputs[0]);
  const OutputTable table = output_table(e.blob, e.node.ints("table"));
  LayerCode code;
  code.units = p.rows[0].count;
  code.sram = sram.total;
  code.summary = tiling_summary(e.node, code.units, tile, "units", sram.total);
  code.emit = [=](Streams& s, int slot, uint64_t base, int64_t begin, int64_t end) {
    if (begin >= end) return;
    if (table.requant)
      s.emit(slot, Engine::kLoad,
             dma(isa::Opcode::kDmaLoad, {isa::kBaseWeights, table.at}, 0, base + sram.table, 256));
    TileSteps steps;
    steps.load = [&](int b, int64_t u0, int64_t u1) {
      emit_gather(s, slot, x, p, base + sram.in[b], u0, u1);
    };
    steps.compute = [&](int b, int64_t u0, int64_t u1) {
      const int64_t len = (u1 - u0) * p.unit_bytes;
      if (!table.requant)
        return emit_row_copy(s, slot, base + sram.in[b], len, base + sram.out[b], len, 1, len);
      s.emit(slot, Engine::kCompute,
             isa::make(isa::Opcode::kVecLut, {{Field::kSrc, int64_t(base + sram.in[b])},
                                              {Field::kDst, int64_t(base + sram.out[b])},
                                              {Field::kLen, len},
                                              {Field::kTable, int64_t(base + sram.table)}}));
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
