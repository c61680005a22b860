// QLut -> vec.lut over the tensor's bytes (layout does not matter to an
// element-wise table), tiled and double buffered; the 256-byte table lives
// in the weights blob and is loaded once per layer. Per-position tables
// (a PRelu's slope per channel) -> vec.lutn over whole periods of tables.
#include <algorithm>

#include "families.hpp"
#include "npusim/isa/program.hpp"

namespace npusim::compiler::codegen {
namespace {

using isa::Engine;
using isa::Field;

// More tables than this (256 bytes each in SRAM) and the layer runs on the CPU.
constexpr int64_t kMaxTables = 4096;

// The tables as the device reads them. One table: every byte uses it
// (vec.lut). Per-position tables (attribute table_shape, a PRelu's slope):
// in device order the table of a byte repeats every `period` bytes, so each
// tile holds whole periods and vec.lutn walks `period` tables.
struct Tables {
  int64_t period = 1;
  std::vector<int64_t> bytes;  // period * 256 entries
};

Tables device_tables(const Node& n, const Shape& x) {
  const std::vector<int64_t> table = n.ints("table"), shape = n.ints("table_shape");
  if (shape.empty()) return {1, table};
  // Row-major strides of the table index over table_shape (0 where it broadcasts).
  std::vector<int64_t> stride(shape.size(), 0);
  for (int64_t d = int64_t(shape.size()) - 1, s = 1; d >= 0; s *= shape[d], --d)
    if (shape[d] != 1) stride[d] = s;
  // The period: the innermost device axes, from the outermost one the table varies along.
  const std::vector<int> axes = device_order(x.size());
  size_t first = axes.size();
  for (size_t d = 0; d < axes.size() && first == axes.size(); ++d)
    if (stride[axes[d]] != 0) first = d;
  Tables t;
  for (size_t d = first; d < axes.size(); ++d) t.period *= x[axes[d]];
  if (t.period > kMaxTables) return t;
  for (int64_t p = 0; p < t.period; ++p) {
    int64_t id = 0;
    for (int64_t d = int64_t(axes.size()) - 1, rest = p; d >= int64_t(first); --d) {
      id += (rest % x[axes[d]]) * stride[axes[d]];
      rest /= x[axes[d]];
    }
    t.bytes.insert(t.bytes.end(), table.begin() + 256 * id, table.begin() + 256 * (id + 1));
  }
  return t;
}

// table_shape broadcasts to x and names one 256-entry table per element.
bool tables_fit(const Shape& shape, const Shape& x, size_t entries) {
  if (shape.size() != x.size() || entries != size_t(256 * element_count(shape))) return false;
  for (size_t d = 0; d < x.size(); ++d)
    if (shape[d] != 1 && shape[d] != x[d]) return false;
  return true;
}

BufferedSram sram_plan(int64_t periods, const Tables& t) {
  const uint64_t bytes = uint64_t(periods * t.period);
  return buffered_sram(bytes, bytes, uint64_t(256 * t.period));
}

// The largest tile, in whole periods.
int64_t tile_periods(int64_t total, const Tables& t, const isa::HwParams& hw) {
  const int64_t periods = total / t.period;
  return largest_tile(std::min(periods, pipeline_tile_cap(periods, uint64_t(t.period))),
                      hw.sram_per_pe, [&](int64_t k) { return sram_plan(k, t).total; });
}

isa::Instruction lookup(uint64_t src, uint64_t dst, int64_t len, uint64_t table, const Tables& t) {
  if (t.period == 1) return vec_lut(src, dst, len, table);
  return isa::make(isa::Opcode::kVecLutN, {{Field::kSrc, int64_t(src)},
                                           {Field::kDst, int64_t(dst)},
                                           {Field::kLen, len},
                                           {Field::kTable, int64_t(table)},
                                           {Field::kTables, t.period}});
}

}  // namespace

std::string lut_unsupported(const Graph& g, const Node& n, const isa::HwParams& hw) {
  const Shape& x = g.value(n.inputs[0]).shape;
  const std::vector<int64_t> shape = n.ints("table_shape");
  if (shape.empty() && n.ints("table").size() != 256) return "QLut without a 256-entry table";
  if (!shape.empty() && !tables_fit(shape, x, n.ints("table").size()))
    return "QLut whose table_shape does not match its input or its tables";
  const Tables t = device_tables(n, x);
  if (t.period > kMaxTables)
    return "its tables repeat every " + std::to_string(t.period) + " bytes (at most " +
           std::to_string(kMaxTables) + " tables)";
  if (tile_periods(element_count(x), t, hw) < 1) return "SRAM too small";
  return "";
}

LayerCode plan_lut(const LayerEnv& e) {
  const int64_t total = element_count(e.shape(e.node.inputs[0]));
  const Tables t = device_tables(e.node, e.shape(e.node.inputs[0]));
  const int64_t tile = tile_periods(total, t, e.hw);
  const BufferedSram p = sram_plan(tile, t);
  const DramPlace x = e.at(e.node.inputs[0]), y = e.at(e.node.outputs[0]);
  const uint64_t table_at = append_table(e.blob, t.bytes);
  const int64_t period = t.period;
  LayerCode code;
  code.units = total / period;
  code.sram = p.total;
  code.summary =
      tiling_summary(e.node, code.units, tile,
                     period == 1 ? "bytes" : std::to_string(period) + "-byte periods", p.total);
  code.emit = [=](Streams& s, int slot, uint64_t base, int64_t begin, int64_t end) {
    if (begin >= end) return;
    s.emit(slot, Engine::kLoad,
           dma(isa::Opcode::kDmaLoad, {isa::kBaseWeights, table_at}, 0, base + p.table,
               uint64_t(256 * period)));
    TileSteps steps;
    steps.load = [&](int b, int64_t u0, int64_t u1) {
      s.emit(slot, Engine::kLoad,
             dma(isa::Opcode::kDmaLoad, x, u0 * period, base + p.in[b], (u1 - u0) * period));
    };
    steps.compute = [&](int b, int64_t u0, int64_t u1) {
      s.emit(slot, Engine::kCompute,
             lookup(base + p.in[b], base + p.out[b], (u1 - u0) * period, base + p.table, t));
    };
    steps.store = [&](int b, int64_t u0, int64_t u1) {
      s.emit(slot, Engine::kStore,
             dma(isa::Opcode::kDmaStore, y, u0 * period, base + p.out[b], (u1 - u0) * period));
    };
    emit_tiles(s, slot, begin, end, tile, steps);
  };
  return code;
}

}  // namespace npusim::compiler::codegen
