// QConcat and QSplit: in device layout the whole tensor is [outer][sum of the
// parts' widths] (NHWC channel concat: outer = N*H*W pixels, width = C_k).
// Concat: a tile of outer rows loads each input's rows contiguously,
// requantises them in place with vec.lut where the input's quantisation
// differs, and places them in the output tile's column slice with one strided
// vec.copy; the assembled tile is stored contiguously (long DMA bursts
// instead of one per pixel). Split is the same in reverse.
#include <algorithm>
#include <optional>

#include "families.hpp"
#include "npusim/isa/program.hpp"

namespace npusim::compiler::codegen {
namespace {

using isa::Engine;
using isa::Field;

struct Geometry {
  int64_t outer = 1, width = 0;  // output rows and bytes per row
  std::vector<int64_t> widths;   // per input, bytes per row
};

// Device axis of a logical axis: NCHW axis a is NHWC axis {0, 3, 1, 2}[a].
int64_t device_axis(int64_t axis, size_t rank) {
  static const int64_t nhwc[4] = {0, 3, 1, 2};
  return rank == 4 ? nhwc[axis] : axis;
}

// `whole` is the concatenated tensor, `parts` the pieces along `axis`.
std::optional<Geometry> geometry(const Graph& g, const std::string& whole,
                                 const std::vector<std::string>& parts, int64_t logical_axis,
                                 std::string& why) {
  const Shape shape = device_shape(g.value(whole).shape);
  const int64_t axis = device_axis(logical_axis, g.value(whole).shape.size());
  Geometry geo;
  for (int64_t d = 0; d < axis; ++d) geo.outer *= shape[d];
  for (const auto& part : parts) {
    const Shape s = device_shape(g.value(part).shape);
    int64_t width = 1;
    for (size_t d = axis; d < s.size(); ++d) width *= s[d];
    geo.widths.push_back(width);
    geo.width += width;
  }
  if (geo.outer < 1 || geo.width < 1) {
    why = "empty concatenation";
    return std::nullopt;
  }
  return geo;
}

std::optional<Geometry> geometry(const Graph& g, const Node& n, std::string& why) {
  if (n.op == "QSplit") return geometry(g, n.inputs[0], n.outputs, n.i("axis", 0), why);
  return geometry(g, n.outputs[0], n.inputs, n.i("axis", 1), why);
}

// Per buffer b: each part's rows and the whole tensor's rows.
struct Sram {
  std::vector<uint64_t> tables, part[2];
  uint64_t whole[2] = {0, 0}, total = 0;
};

Sram layout(const Geometry& geo, int64_t rows) {
  SramLayout l;
  Sram p;
  for (size_t k = 0; k < geo.widths.size(); ++k) p.tables.push_back(l.take(256));
  for (int b = 0; b < 2; ++b) {
    for (const int64_t w : geo.widths) p.part[b].push_back(l.take(uint64_t(rows) * w));
    p.whole[b] = l.take(uint64_t(rows) * geo.width);
  }
  p.total = l.total();
  return p;
}

int64_t tile_rows(const Geometry& geo, const isa::HwParams& hw) {
  const int64_t cap = std::min(pipeline_tile_cap(geo.outer, 2 * geo.width), kMaxCopyCount);
  return largest_tile(std::min(geo.outer, cap), hw.sram_per_pe,
                      [&](int64_t r) { return layout(geo, r).total; });
}

// The tables of the parts that need one, appended to the blob (-1: identity).
std::vector<int64_t> part_tables(const LayerEnv& e, size_t parts) {
  const std::vector<int64_t> tables = e.node.ints("tables");
  std::vector<int64_t> at(parts, -1);
  for (size_t k = 0; k < parts; ++k) {
    const std::vector<int64_t> t(tables.begin() + 256 * k, tables.begin() + 256 * (k + 1));
    if (!is_identity(t)) at[k] = int64_t(append_table(e.blob, t));
  }
  return at;
}

void load_tables(Streams& s, int slot, uint64_t base, const Sram& p,
                 const std::vector<int64_t>& table_at) {
  for (size_t k = 0; k < table_at.size(); ++k)
    if (table_at[k] >= 0)
      s.emit(slot, Engine::kLoad,
             dma(isa::Opcode::kDmaLoad, {isa::kBaseWeights, uint64_t(table_at[k])}, 0,
                 base + p.tables[k], 256));
}

}  // namespace

std::string concat_unsupported(const Graph& g, const Node& n, const isa::HwParams& hw) {
  std::string why;
  const auto geo = geometry(g, n, why);
  if (!geo) return why;
  if (n.ints("tables").size() != 256 * geo->widths.size()) return n.op + " without its tables";
  if (tile_rows(*geo, hw) < 1) return "one output row does not fit in SRAM";
  return "";
}

LayerCode plan_concat(const LayerEnv& e) {
  std::string why;
  const Geometry geo = *geometry(e.g, e.node, why);
  const int64_t tile = tile_rows(geo, e.hw);
  const Sram p = layout(geo, tile);
  const bool split = e.node.op == "QSplit";
  const std::vector<std::string>& names = split ? e.node.outputs : e.node.inputs;
  std::vector<DramPlace> parts;
  for (const auto& v : names) parts.push_back(e.at(v));
  const DramPlace whole = e.at(split ? e.node.inputs[0] : e.node.outputs[0]);
  const std::vector<int64_t> table_at = part_tables(e, names.size());
  LayerCode code;
  code.units = geo.outer;
  code.sram = p.total;
  code.summary = tiling_summary(e.node, code.units, tile, "rows", p.total);
  code.emit = [=](Streams& s, int slot, uint64_t base, int64_t begin, int64_t end) {
    if (begin >= end) return;
    load_tables(s, slot, base, p, table_at);
    const size_t n = parts.size();
    auto rows_of = [&](DramPlace at, int64_t width, uint64_t sram, int64_t r0, int64_t r1,
                       isa::Opcode op, Engine engine) {
      s.emit(slot, engine, dma(op, at, r0 * width, base + sram, (r1 - r0) * width));
    };
    TileSteps steps;
    steps.load = [&](int b, int64_t r0, int64_t r1) {
      if (split)
        return rows_of(whole, geo.width, p.whole[b], r0, r1, isa::Opcode::kDmaLoad, Engine::kLoad);
      for (size_t k = 0; k < n; ++k)
        rows_of(parts[k], geo.widths[k], p.part[b][k], r0, r1, isa::Opcode::kDmaLoad,
                Engine::kLoad);
    };
    steps.compute = [&](int b, int64_t r0, int64_t r1) {
      int64_t column = 0;
      for (size_t k = 0; k < n; ++k) {
        const uint64_t part = base + p.part[b][k], slice = base + p.whole[b] + column;
        const int64_t len = (r1 - r0) * geo.widths[k];
        const uint64_t table = base + p.tables[k];
        if (split) {  // slice out, then requantise the dense part
          emit_row_copy(s, slot, slice, geo.width, part, geo.widths[k], r1 - r0, geo.widths[k]);
          if (table_at[k] >= 0) s.emit(slot, Engine::kCompute, vec_lut(part, part, len, table));
        } else {  // requantise the dense part, then place it
          if (table_at[k] >= 0) s.emit(slot, Engine::kCompute, vec_lut(part, part, len, table));
          emit_row_copy(s, slot, part, geo.widths[k], slice, geo.width, r1 - r0, geo.widths[k]);
        }
        column += geo.widths[k];
      }
    };
    steps.store = [&](int b, int64_t r0, int64_t r1) {
      if (!split)
        return rows_of(whole, geo.width, p.whole[b], r0, r1, isa::Opcode::kDmaStore,
                       Engine::kStore);
      for (size_t k = 0; k < n; ++k)
        rows_of(parts[k], geo.widths[k], p.part[b][k], r0, r1, isa::Opcode::kDmaStore,
                Engine::kStore);
    };
    emit_tiles(s, slot, begin, end, tile, steps);
  };
  return code;
}

}  // namespace npusim::compiler::codegen
