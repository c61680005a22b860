// QConcat and QSplit: in device layout the whole tensor is [outer][sum of the
// parts' widths] (NHWC channel concat: outer = N*H*W pixels, width = C_k).
// Concat: a tile of outer rows loads each input's rows contiguously,
// requantises them in place with vec.lut where the input's quantisation
// differs, and places them in the output tile's column slice with one strided
// vec.copy; the assembled tile is stored contiguously (long DMA bursts
// instead of one per pixel). Split is the same in reverse.
#include <algorithm>
#include <optional>

#include "../npu_op_table.hpp"
#include "../npu_ops/concat.hpp"
#include "families.hpp"
#include "npusim/isa/program.hpp"

namespace npusim::compiler::codegen {
namespace {

using isa::Engine;
using isa::Field;

struct Geometry {
  int64_t outer = 1, width = 0;  // output rows and bytes per row
  std::vector<int64_t> widths;   // per input, bytes per row
  // Along the innermost device axis (an NHWC channel concat) whole image rows
  // of the parts make whole image rows of the result: the layer is tiled by
  // image rows of `pixels` outer rows each, and parts can stay in SRAM.
  bool row_local = false;
  int64_t images = 1, rows = 1, pixels = 1;  // outer = images * rows * pixels
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
  geo.rows = geo.outer;
  if (axis == int64_t(shape.size()) - 1) {
    const RowShape r = row_shape(g.value(whole));
    geo.row_local = true;
    geo.images = r.images;
    geo.rows = r.rows;
    geo.pixels = geo.outer / (r.images * r.rows);
  }
  return geo;
}

// The 256-entry tables, one per input of a QConcat or output of a QSplit.
Ints part_tables_attr(const Node& n) {
  return n.op == QSplitAttrs::kOp ? read_attrs<QSplitAttrs>(n).tables
                                  : read_attrs<QConcatAttrs>(n).tables;
}

std::optional<Geometry> geometry(const Graph& g, const Node& n, std::string& why) {
  if (n.op == QSplitAttrs::kOp)
    return geometry(g, n.inputs[0], n.outputs, read_attrs<QSplitAttrs>(n).axis, why);
  return geometry(g, n.outputs[0], n.inputs, read_attrs<QConcatAttrs>(n).axis, why);
}

// Which operands stay in SRAM, and which parts go through a table.
struct InPlace {
  std::vector<bool> part, table;
  bool whole = false;
};

// Per buffer b: each part's rows and the whole tensor's rows, as staging needs them.
struct Sram {
  std::vector<uint64_t> tables, part[2];
  uint64_t whole[2] = {0, 0}, total = 0;
};

Sram layout(const Geometry& geo, int64_t units, const InPlace& ip, bool split) {
  SramLayout l;
  Sram p;
  const uint64_t outer = uint64_t(units * geo.pixels);
  for (size_t k = 0; k < geo.widths.size(); ++k) p.tables.push_back(l.take(256));
  for (int b = 0; b < 2; ++b) {
    for (size_t k = 0; k < geo.widths.size(); ++k) {
      // concat stages a part it loads or must requantise; split one it stores
      const bool staged = split ? !ip.part[k] : !ip.part[k] || ip.table[k];
      p.part[b].push_back(staged ? l.take(outer * geo.widths[k]) : 0);
    }
    p.whole[b] = ip.whole ? 0 : l.take(outer * geo.width);
  }
  p.total = l.total();
  return p;
}

InPlace no_sram(const Geometry& geo) {
  return {std::vector<bool>(geo.widths.size(), false), std::vector<bool>(geo.widths.size(), false),
          false};
}

int64_t tile_units(const Geometry& geo, uint64_t sram, const InPlace& ip, bool split) {
  const int64_t cap = std::min(pipeline_tile_cap(geo.rows, 2 * geo.width * geo.pixels),
                               std::max<int64_t>(1, kMaxCopyCount / geo.pixels));
  return largest_tile(std::min(geo.rows, cap), sram,
                      [&](int64_t r) { return layout(geo, r, ip, split).total; });
}

// The tables of the parts that need one, appended to the blob (-1: identity).
std::vector<int64_t> part_tables(const LayerEnv& e, size_t parts) {
  const Ints tables = part_tables_attr(e.node);
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
  if (part_tables_attr(n).size() != 256 * geo->widths.size()) return n.op + " without its tables";
  if (tile_units(*geo, hw.sram_per_pe, no_sram(*geo), n.op == "QSplit") < 1)
    return "one output row does not fit in SRAM";
  return "";
}

LayerTraits concat_traits(const Graph& g, const Node& n) {
  LayerTraits t;
  t.sram_in.assign(n.inputs.size(), false);
  std::string why;
  const auto geo = geometry(g, n, why);
  if (!geo || !geo->row_local) return t;
  t.row_local = true;
  t.out_rows = geo->rows;
  t.input_rows = [](size_t, RowRange out) { return out; };
  t.sram_in.assign(n.inputs.size(), true);
  t.sram_out = true;
  return t;
}

uint64_t concat_min_work(const Graph& g, const Node& n, const isa::HwParams&) {
  std::string why;
  const auto geo = geometry(g, n, why);
  return geo ? layout(*geo, 1, no_sram(*geo), n.op == "QSplit").total : 0;
}

LayerCode plan_concat(const LayerEnv& e) {
  std::string why;
  const Geometry geo = *geometry(e.g, e.node, why);
  const bool split = e.node.op == "QSplit";
  const std::vector<std::string>& names = split ? e.node.outputs : e.node.inputs;
  const std::string& whole_name = split ? e.node.inputs[0] : e.node.outputs[0];
  const std::vector<int64_t> table_at = part_tables(e, names.size());
  InPlace ip = no_sram(geo);
  if (geo.row_local) {
    for (size_t k = 0; k < names.size(); ++k) ip.part[k] = e.resident(names[k]);
    ip.whole = e.resident(whole_name);
  }
  for (size_t k = 0; k < names.size(); ++k) ip.table[k] = table_at[k] >= 0;
  const int64_t tile = tile_units(geo, e.work_bytes, ip, split);
  const Sram p = layout(geo, tile, ip, split);
  std::vector<DramPlace> parts;
  for (size_t k = 0; k < names.size(); ++k)
    parts.push_back(ip.part[k] ? DramPlace{} : e.at(names[k]));
  const DramPlace whole = ip.whole ? DramPlace{} : e.at(whole_name);
  // Per slot: the SRAM tensors of the parts and of the whole, where held.
  std::vector<std::vector<const SramTensor*>> held_parts(2);
  const SramTensor* held_whole[2] = {e.held(whole_name, 0), e.held(whole_name, 1)};
  for (int slot = 0; slot < 2; ++slot)
    for (const auto& v : names) held_parts[slot].push_back(e.held(v, slot));
  LayerCode code;
  code.units = geo.rows;
  code.sram = p.total;
  code.summary = tiling_summary(e.node, code.units, tile, "rows", p.total);
  code.emit = [=](Streams& s, int slot, uint64_t base, int64_t begin, int64_t end) {
    if (begin >= end) return;
    const size_t n = parts.size();
    for (int64_t img = 0; img < geo.images; ++img) {
      const int64_t image = img * geo.rows;
      // Outer rows of units [u0, u1), and a part's / the whole's place in SRAM.
      auto outer = [&](int64_t u0, int64_t u1) { return (u1 - u0) * geo.pixels; };
      auto part_at = [&](int b, size_t k, int64_t u0) {
        return ip.part[k] ? held_parts[slot][k]->at(img, u0) : base + p.part[b][k];
      };
      auto whole_at = [&](int b, int64_t u0) {
        return ip.whole ? held_whole[slot]->at(img, u0) : base + p.whole[b];
      };
      auto dram_rows = [&](DramPlace at, int64_t width, uint64_t sram, int64_t u0, int64_t u1,
                           isa::Opcode op, Engine engine) {
        s.emit(slot, engine,
               dma(op, at, (image + u0) * geo.pixels * width, sram, outer(u0, u1) * width));
      };
      bool loads = split ? !ip.whole : false, stores = split ? false : !ip.whole;
      for (size_t k = 0; k < n; ++k) (split ? stores : loads) |= !ip.part[k];
      TileSteps steps;
      if (img == 0) steps.setup = [&](int) { load_tables(s, slot, base, p, table_at); };
      if (loads)
        steps.load = [&](int b, int64_t u0, int64_t u1) {
          if (split)
            return dram_rows(whole, geo.width, base + p.whole[b], u0, u1, isa::Opcode::kDmaLoad,
                             Engine::kLoad);
          for (size_t k = 0; k < n; ++k)
            if (!ip.part[k])
              dram_rows(parts[k], geo.widths[k], base + p.part[b][k], u0, u1, isa::Opcode::kDmaLoad,
                        Engine::kLoad);
        };
      steps.compute = [&](int b, int64_t u0, int64_t u1) {
        const int64_t rows = outer(u0, u1);
        int64_t column = 0;
        for (size_t k = 0; k < n; ++k) {
          const uint64_t slice = whole_at(b, u0) + column;
          const int64_t len = rows * geo.widths[k];
          const uint64_t table = base + p.tables[k];
          if (split) {  // slice out, then requantise the dense part
            const uint64_t part = part_at(b, k, u0);
            emit_row_copy(s, slot, slice, geo.width, part, geo.widths[k], rows, geo.widths[k]);
            if (ip.table[k]) s.emit(slot, Engine::kCompute, vec_lut(part, part, len, table));
          } else {  // requantise the dense part (into staging if it is held in SRAM), then place it
            uint64_t part = part_at(b, k, u0);
            if (ip.table[k]) {
              const uint64_t staged = base + p.part[b][k];
              s.emit(slot, Engine::kCompute, vec_lut(part, staged, len, table));
              part = staged;
            }
            emit_row_copy(s, slot, part, geo.widths[k], slice, geo.width, rows, geo.widths[k]);
          }
          column += geo.widths[k];
        }
      };
      if (stores)
        steps.store = [&](int b, int64_t u0, int64_t u1) {
          if (!split)
            return dram_rows(whole, geo.width, base + p.whole[b], u0, u1, isa::Opcode::kDmaStore,
                             Engine::kStore);
          for (size_t k = 0; k < n; ++k)
            if (!ip.part[k])
              dram_rows(parts[k], geo.widths[k], base + p.part[b][k], u0, u1,
                        isa::Opcode::kDmaStore, Engine::kStore);
        };
      emit_tiles(s, slot, begin, end, tile, steps);
    }
  };
  return code;
}

}  // namespace npusim::compiler::codegen

namespace npusim::compiler::npu_ops {

// The compiler side of npu_ops/concat.hpp: its code generator and the ONNX ops lowered to it.
void register_compiler_concat(NpuOpTable& t) {
  using namespace codegen;
  const Family family{concat_unsupported, plan_concat, concat_traits, concat_min_work};
  t.add_family("QConcat", family);
  t.add_family("QSplit", family);
  t.add_lowering({"Concat"}, lowering::match_concat);
  t.add_lowering({"Split"}, lowering::match_split);
}

}  // namespace npusim::compiler::npu_ops
