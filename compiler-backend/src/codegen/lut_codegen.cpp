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

struct Sram {
  uint64_t table = 0, in[2] = {0, 0}, out[2] = {0, 0}, total = 0;
};

Sram layout(int64_t bytes) {
  SramLayout l;
  Sram p;
  p.table = l.take(256);
  for (int b = 0; b < 2; ++b) {
    p.in[b] = l.take(bytes);
    p.out[b] = l.take(bytes);
  }
  p.total = l.total();
  return p;
}

int64_t tile_bytes(int64_t total, const isa::HwParams& hw) {
  return largest_tile(std::min(total, pipeline_tile_cap(total, 1)), hw.sram_per_pe,
                      [](int64_t b) { return layout(b).total; });
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
  const Sram p = layout(tile);
  const DramPlace x = e.at(e.node.inputs[0]), y = e.at(e.node.outputs[0]);
  const uint64_t table_at = append_table(e.blob, e.node.ints("table"));
  LayerCode code;
  code.units = total;
  code.sram = p.total;
  code.summary = tiling_summary(e.node, code.units, tile, "bytes", p.total);
  code.emit = [=](Streams& s, int slot, uint64_t base, int64_t begin, int64_t end) {
    if (begin >= end) return;
    s.emit(slot, Engine::kLoad,
           dma(isa::Opcode::kDmaLoad, {isa::kBaseWeights, table_at}, 0, base + p.table, 256));
    TileSteps steps;
    steps.load = [&](int b, int64_t u0, int64_t u1) {
      s.emit(slot, Engine::kLoad, dma(isa::Opcode::kDmaLoad, x, u0, base + p.in[b], u1 - u0));
    };
    steps.compute = [&](int b, int64_t u0, int64_t u1) {
      s.emit(slot, Engine::kCompute,
             isa::make(isa::Opcode::kVecLut, {{Field::kSrc, int64_t(base + p.in[b])},
                                              {Field::kDst, int64_t(base + p.out[b])},
                                              {Field::kLen, u1 - u0},
                                              {Field::kTable, int64_t(base + p.table)}}));
    };
    steps.store = [&](int b, int64_t u0, int64_t u1) {
      s.emit(slot, Engine::kStore, dma(isa::Opcode::kDmaStore, y, u0, base + p.out[b], u1 - u0));
    };
    emit_tiles(s, slot, begin, end, tile, steps);
  };
  return code;
}

}  // namespace npusim::compiler::codegen
