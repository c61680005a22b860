// QLut -> vec.lut over the tensor's bytes (layout does not matter to an
// element-wise table), tiled and double buffered; the 256-byte table lives
// in the weights blob and is loaded once per layer.
#include <algorithm>

#include "families.hpp"
#include "npusim/isa/program.hpp"

namespace npusim::compiler::codegen {
namespace {

using isa::Engine;
using isa::Field;

int64_t tile_bytes(int64_t total, const isa::HwParams& hw) {
  return largest_tile(std::min(total, pipeline_tile_cap(total, 1)), hw.sram_per_pe,
                      [](int64_t b) { return buffered_sram(uint64_t(b), uint64_t(b)).total; });
}

}  // namespace

std::string lut_unsupported(const Graph& g, const Node& n, const isa::HwParams& hw) {
  if (n.ints("table").size() != 256) return "QLut without a 256-entry table";
  if (tile_bytes(element_count(g.value(n.inputs[0]).shape), hw) < 1) return "SRAM too small";
  return "";
}

LayerCode plan_lut(const LayerEnv& e) {
  const int64_t total = element_count(e.shape(e.node.inputs[0]));
  const int64_t tile = tile_bytes(total, e.hw);
  const BufferedSram p = buffered_sram(uint64_t(tile), uint64_t(tile));
  const DramPlace x = e.at(e.node.inputs[0]), y = e.at(e.node.outputs[0]);
  const uint64_t table_at = append_table(e.blob, e.node.ints("table"));
  LayerCode code;
  code.units = total;
  code.sram = p.total;
  code.summary = tiling_summary(e.node, code.units, tile, "bytes", p.total);
  code.emit = [=](Streams& s, int slot, uint64_t base, int64_t begin, int64_t end) {
    if (begin >= end) return;
    load_output_table(s, slot, {true, table_at}, base + p.table);
    TileSteps steps;
    steps.load = [&](int b, int64_t u0, int64_t u1) {
      s.emit(slot, Engine::kLoad, dma(isa::Opcode::kDmaLoad, x, u0, base + p.in[b], u1 - u0));
    };
    steps.compute = [&](int b, int64_t u0, int64_t u1) {
      s.emit(slot, Engine::kCompute,
             vec_lut(base + p.in[b], base + p.out[b], u1 - u0, base + p.table));
    };
    steps.store = [&](int b, int64_t u0, int64_t u1) {
      s.emit(slot, Engine::kStore, dma(isa::Opcode::kDmaStore, y, u0, base + p.out[b], u1 - u0));
    };
    emit_tiles(s, slot, begin, end, tile, steps);
  };
  return code;
}

}  // namespace npusim::compiler::codegen
