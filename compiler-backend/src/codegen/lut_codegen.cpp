// QLut -> vec.lut over the tensor's bytes (layout does not matter to an
// element-wise table), tiled and double buffered; the 256-byte table lives
// in the weights blob and is loaded once per layer. Per-position tables
// (a PRelu's slope per channel) -> vec.lutn over whole periods of tables.
#include <algorithm>
#include <array>

#include "../npu_op_table.hpp"
#include "../npu_ops/lut.hpp"
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
  const auto a = read_attrs<QLutAttrs>(n);
  const Ints &table = a.lut.table, &shape = a.table_shape;
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

// The units the layer tiles: image rows when a row holds whole periods of
// tables (so tensors held in SRAM by rows can be read and written in place),
// else periods of the flat tensor.
struct Blocks {
  bool rows = false;
  int64_t per_image = 0, images = 1;
  uint64_t bytes = 0;  // per block
};

Blocks blocks_of(const Value& x, const Tables& t) {
  const RowShape r = row_shape(x);
  if (r.row_bytes % uint64_t(t.period) == 0) return {true, r.rows, r.images, r.row_bytes};
  return {false, element_count(x.shape) / t.period, 1, uint64_t(t.period)};
}

BufferedSram sram_plan(int64_t tile, const Blocks& bl, const Tables& t, bool in_sram,
                       bool out_sram) {
  const uint64_t bytes = uint64_t(tile) * bl.bytes;
  return buffered_sram(in_sram ? 0 : bytes, out_sram ? 0 : bytes, uint64_t(256 * t.period));
}

// The largest tile, in blocks.
int64_t tile_blocks(const Blocks& bl, const Tables& t, uint64_t sram, bool in_sram = false,
                    bool out_sram = false) {
  return largest_tile(std::min(bl.per_image, pipeline_tile_cap(bl.per_image, bl.bytes)), sram,
                      [&](int64_t k) { return sram_plan(k, bl, t, in_sram, out_sram).total; });
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
  const auto a = read_attrs<QLutAttrs>(n);
  const Ints& shape = a.table_shape;
  if (shape.empty() && a.lut.table.size() != 256) return "QLut without a 256-entry table";
  if (!shape.empty() && !tables_fit(shape, x, a.lut.table.size()))
    return "QLut whose table_shape does not match its input or its tables";
  const Tables t = device_tables(n, x);
  if (t.period > kMaxTables)
    return "its tables repeat every " + std::to_string(t.period) + " bytes (at most " +
           std::to_string(kMaxTables) + " tables)";
  if (tile_blocks(blocks_of(g.value(n.inputs[0]), t), t, hw.sram_per_pe) < 1)
    return "SRAM too small";
  return "";
}

LayerTraits lut_traits(const Graph& g, const Node& n) {
  LayerTraits t;
  t.sram_in = {false};
  const Tables tables = device_tables(n, g.value(n.inputs[0]).shape);
  if (tables.period > kMaxTables) return t;
  const Blocks bl = blocks_of(g.value(n.inputs[0]), tables);
  if (!bl.rows) return t;
  t.row_local = true;
  t.out_rows = bl.per_image;
  t.input_rows = [](size_t, RowRange out) { return out; };
  t.sram_in = {true};
  t.sram_out = true;
  return t;
}

uint64_t lut_min_work(const Graph& g, const Node& n, const isa::HwParams&) {
  const Tables t = device_tables(n, g.value(n.inputs[0]).shape);
  if (t.period > kMaxTables) return 0;
  return sram_plan(1, blocks_of(g.value(n.inputs[0]), t), t, false, false).total;
}

LayerCode plan_lut(const LayerEnv& e) {
  const Node& n = e.node;
  const Tables t = device_tables(n, e.shape(n.inputs[0]));
  const Blocks bl = blocks_of(e.g.value(n.inputs[0]), t);
  const bool in_sram = bl.rows && e.resident(n.inputs[0]),
             out_sram = bl.rows && e.resident(n.outputs[0]);
  const int64_t tile = tile_blocks(bl, t, e.work_bytes, in_sram, out_sram);
  const BufferedSram p = sram_plan(tile, bl, t, in_sram, out_sram);
  const DramPlace x = in_sram ? DramPlace{} : e.at(n.inputs[0]),
                  y = out_sram ? DramPlace{} : e.at(n.outputs[0]);
  const uint64_t table_at = append_table(e.blob, t.bytes);
  const int64_t period = t.period;
  const SramTensor* held[2][2] = {{e.held(n.inputs[0], 0), e.held(n.outputs[0], 0)},
                                  {e.held(n.inputs[0], 1), e.held(n.outputs[0], 1)}};
  std::array<std::array<const SramTensor*, 2>, 2> sram = {
      {{held[0][0], held[0][1]}, {held[1][0], held[1][1]}}};
  LayerCode code;
  code.units = bl.per_image;
  code.sram = p.total;
  code.summary = tiling_summary(n, code.units, tile,
                                bl.rows       ? "rows"
                                : period == 1 ? "bytes"
                                              : std::to_string(period) + "-byte periods",
                                p.total);
  code.emit = [=](Streams& s, int slot, uint64_t base, int64_t begin, int64_t end) {
    if (begin >= end) return;
    const SramTensor* in = in_sram ? sram[slot][0] : nullptr;
    const SramTensor* out = out_sram ? sram[slot][1] : nullptr;
    for (int64_t img = 0; img < bl.images; ++img) {
      const uint64_t image = uint64_t(img * bl.per_image);
      TileSteps steps;
      if (img == 0)
        steps.setup = [&](int) {
          s.emit(slot, Engine::kLoad,
                 dma(isa::Opcode::kDmaLoad, {isa::kBaseWeights, table_at}, 0, base + p.table,
                     uint64_t(256 * period)));
        };
      if (!in)
        steps.load = [&](int b, int64_t u0, int64_t u1) {
          s.emit(slot, Engine::kLoad,
                 dma(isa::Opcode::kDmaLoad, x, (image + u0) * bl.bytes, base + p.in[b],
                     (u1 - u0) * bl.bytes));
        };
      steps.compute = [&](int b, int64_t u0, int64_t u1) {
        const uint64_t src = in ? in->at(img, u0) : base + p.in[b];
        const uint64_t dst = out ? out->at(img, u0) : base + p.out[b];
        s.emit(slot, Engine::kCompute,
               lookup(src, dst, int64_t((u1 - u0) * bl.bytes), base + p.table, t));
      };
      if (!out)
        steps.store = [&](int b, int64_t u0, int64_t u1) {
          s.emit(slot, Engine::kStore,
                 dma(isa::Opcode::kDmaStore, y, (image + u0) * bl.bytes, base + p.out[b],
                     (u1 - u0) * bl.bytes));
        };
      emit_tiles(s, slot, begin, end, tile, steps);
    }
  };
  return code;
}

}  // namespace npusim::compiler::codegen

namespace npusim::compiler::npu_ops {

// The compiler side of npu_ops/lut.hpp: its code generator and the ONNX ops lowered to it.
void register_compiler_lut(NpuOpTable& t) {
  using namespace codegen;
  const Family family{lut_unsupported, plan_lut, lut_traits, lut_min_work};
  t.add_family("QLut", family);
  t.add_lowering({"DequantizeLinear"}, lowering::match_lut);
  t.add_lowering({"PRelu"}, lowering::match_prelu);
  t.add_lowering({"Clip"}, lowering::match_integer_clip);
}

}  // namespace npusim::compiler::npu_ops
