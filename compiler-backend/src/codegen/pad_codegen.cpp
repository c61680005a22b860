// QPad (constant padding). In device layout (NHWC for rank 4, padded on the
// left to four dimensions [d0, d1, d2, d3]) a unit is one output row of
// d2 * d3 bytes. A tile of output rows loads the input rows inside it (one
// contiguous run), requantises them in place if the table says so, fills
// the output buffer with the pad code, places the input rows into it with
// strided vec.copy, and stores the tile contiguously.
#include <algorithm>
#include <array>
#include <optional>

#include "../npu_op_table.hpp"
#include "../npu_ops/pad.hpp"
#include "families.hpp"

namespace npusim::compiler::codegen {
namespace {

using isa::Engine;
using isa::Field;

using Dims = std::array<int64_t, 4>;

struct Geometry {
  // Device dims, pads before, and the step between input elements (1 + interior pads).
  Dims in{1, 1, 1, 1}, out{1, 1, 1, 1}, begin{0, 0, 0, 0}, step{1, 1, 1, 1};
  int64_t row_in() const { return in[2] * in[3]; }
  int64_t row_out() const { return out[2] * out[3]; }
  // Input index along dim d of output index o, or -1 for padding.
  int64_t source(int d, int64_t o) const {
    const int64_t s = o - begin[d];
    return s >= 0 && s % step[d] == 0 && s / step[d] < in[d] ? s / step[d] : -1;
  }
  // Input row of output row u, or -1 if u is padding.
  int64_t source_row(int64_t u) const {
    const int64_t i0 = source(0, u / out[1]), i1 = source(1, u % out[1]);
    return i0 >= 0 && i1 >= 0 ? i0 * in[1] + i1 : -1;
  }
};

std::optional<Geometry> geometry(const Graph& g, const Node& n, std::string& why) {
  const Shape& in = g.value(n.inputs[0]).shape;
  const auto a = read_attrs<QPadAttrs>(n);
  const Ints& pads = a.pads;
  Ints interior = a.interior;
  const size_t rank = in.size();
  if (interior.empty()) interior.assign(rank, 0);
  if (rank == 0 || rank > 4 || pads.size() != 2 * rank || interior.size() != rank) {
    why = "QPad needs a tensor of rank 1 to 4";
    return std::nullopt;
  }
  const std::vector<int> order = device_order(rank);  // device dim -> logical axis
  Geometry geo;
  for (size_t d = 0; d < rank; ++d) {
    const size_t k = 4 - rank + d;
    const int64_t a = order[d];
    geo.in[k] = in[a];
    geo.begin[k] = pads[a];
    geo.step[k] = 1 + interior[a];
    geo.out[k] = in[a] + (in[a] - 1) * interior[a] + pads[a] + pads[rank + a];
  }
  for (int64_t v : {geo.in[2], geo.in[3], geo.out[2] * geo.out[3]})
    if (v > 65535) {
      why = "rows wider than vec.copy's 16-bit counts";
      return std::nullopt;
    }
  return geo;
}

BufferedSram layout(const Geometry& geo, int64_t rows) {
  return buffered_sram(uint64_t(rows * geo.row_in()), uint64_t(rows * geo.row_out()));
}

int64_t tile_rows(const Geometry& geo, uint64_t sram) {
  const int64_t units = geo.out[0] * geo.out[1];
  const int64_t cap = std::min<int64_t>(pipeline_tile_cap(units, uint64_t(geo.row_out())), 65535);
  return largest_tile(std::min(units, cap), sram, [&](int64_t r) { return layout(geo, r).total; });
}

// The input rows inside output rows [u0, u1): first and count (0 if none).
std::pair<int64_t, int64_t> inside(const Geometry& geo, int64_t u0, int64_t u1) {
  int64_t first = -1, count = 0;
  for (int64_t u = u0; u < u1; ++u)
    if (const int64_t r = geo.source_row(u); r >= 0) {
      if (first < 0) first = r;
      ++count;
    }
  return {first, count};
}

// Places the input rows of output rows [u0, u1) (at `in`, consecutive) into
// the output tile at `out`: runs of output rows an equal step apart whose
// input rows are consecutive, one vec.copy each (pixels and channels spaced
// by their steps).
void emit_placement(Streams& s, int slot, const Geometry& geo, uint64_t in, uint64_t out,
                    int64_t u0, int64_t u1) {
  const int64_t first = inside(geo, u0, u1).first;
  // No channel padding and no pixel spacing: a row is one contiguous run.
  const bool whole_rows = geo.in[3] == geo.out[3] && geo.step[2] == 1;
  std::vector<bool> done(size_t(u1 - u0), false);
  for (int64_t u = u0; u < u1; ++u) {
    const int64_t r = geo.source_row(u);
    if (r < 0 || done[size_t(u - u0)]) continue;
    // The next output row with input row r + 1 fixes the step of the run.
    int64_t step = 0, run = 1;
    for (int64_t v = u + 1; v < u1 && step == 0; ++v)
      if (geo.source_row(v) == r + 1) step = v - u;
    if (step > 0)
      while (u + run * step < u1 && run < 65535 && geo.source_row(u + run * step) == r + run) ++run;
    for (int64_t k = 0; k < run; ++k) done[size_t(u + k * step - u0)] = true;
    const int64_t src = (r - first) * geo.row_in();
    const int64_t dst = (u - u0) * geo.row_out() + geo.begin[2] * geo.out[3] + geo.begin[3];
    const int64_t c0 = whole_rows ? geo.row_in() : geo.in[3], c1 = whole_rows ? 1 : geo.in[2];
    s.emit(slot, Engine::kCompute,
           isa::make(isa::Opcode::kVecCopy,
                     {{Field::kSrc, int64_t(in) + src},
                      {Field::kDst, int64_t(out) + dst},
                      {Field::kElem, 1},
                      {Field::kCnt0, c0},
                      {Field::kCnt1, c1},
                      {Field::kCnt2, run},
                      {Field::kSrcS0, 1},
                      {Field::kSrcS1, geo.in[3]},
                      {Field::kSrcS2, geo.row_in()},
                      {Field::kDstS0, whole_rows ? 1 : geo.step[3]},
                      {Field::kDstS1, geo.step[2] * geo.out[3]},
                      {Field::kDstS2, std::max<int64_t>(step, 1) * geo.row_out()}}));
  }
}

}  // namespace

std::string pad_unsupported(const Graph& g, const Node& n, const isa::HwParams& hw) {
  std::string why;
  const auto geo = geometry(g, n, why);
  if (!geo) return why;
  if (tile_rows(*geo, hw.sram_per_pe) < 1) return "one output row does not fit in SRAM";
  return "";
}

LayerTraits pad_traits(const Graph& g, const Node& n) {
  return dram_only_traits(g, n);
}

uint64_t pad_min_work(const Graph& g, const Node& n, const isa::HwParams&) {
  std::string why;
  const auto geo = geometry(g, n, why);
  return geo ? layout(*geo, 1).total : 0;
}

LayerCode plan_pad(const LayerEnv& e) {
  std::string why;
  const Geometry geo = *geometry(e.g, e.node, why);
  const int64_t tile = tile_rows(geo, e.work_bytes);
  const BufferedSram p = layout(geo, tile);
  const DramPlace x = e.at(e.node.inputs[0]), y = e.at(e.node.outputs[0]);
  const auto a = read_attrs<QPadAttrs>(e.node);
  const OutputTable table = output_table(e.blob, a.table.table);
  const int64_t code = a.pad_code & 0xFF;
  LayerCode code_out;
  code_out.units = geo.out[0] * geo.out[1];
  code_out.sram = p.total;
  code_out.summary = tiling_summary(e.node, code_out.units, tile, "output rows", p.total);
  code_out.emit = [=](Streams& s, int slot, uint64_t base, int64_t begin, int64_t end) {
    if (begin >= end) return;
    TileSteps steps;
    steps.setup = [&](int) { load_output_table(s, slot, table, base + p.table); };
    steps.load = [&](int b, int64_t u0, int64_t u1) {
      const auto [first, count] = inside(geo, u0, u1);
      if (count > 0)
        s.emit(slot, Engine::kLoad,
               dma(isa::Opcode::kDmaLoad, x, uint64_t(first * geo.row_in()), base + p.in[b],
                   uint64_t(count * geo.row_in())));
    };
    steps.compute = [&](int b, int64_t u0, int64_t u1) {
      const auto [first, count] = inside(geo, u0, u1);
      if (table.requant && count > 0)
        s.emit(slot, Engine::kCompute,
               vec_lut(base + p.in[b], base + p.in[b], count * geo.row_in(), base + p.table));
      s.emit(slot, Engine::kCompute,
             isa::make(isa::Opcode::kVecFill, {{Field::kDst, int64_t(base + p.out[b])},
                                               {Field::kLen, (u1 - u0) * geo.row_out()},
                                               {Field::kValue, code}}));
      emit_placement(s, slot, geo, base + p.in[b], base + p.out[b], u0, u1);
    };
    steps.store = [&](int b, int64_t u0, int64_t u1) {
      s.emit(slot, Engine::kStore,
             dma(isa::Opcode::kDmaStore, y, uint64_t(u0 * geo.row_out()), base + p.out[b],
                 uint64_t((u1 - u0) * geo.row_out())));
    };
    emit_tiles(s, slot, begin, end, tile, steps);
  };
  return code_out;
}

}  // namespace npusim::compiler::codegen

namespace npusim::compiler::npu_ops {

// The compiler side of npu_ops/pad.hpp: its code generator and the ONNX ops lowered to it.
void register_compiler_pad(NpuOpTable& t) {
  using namespace codegen;
  const Family family{pad_unsupported, plan_pad, pad_traits, pad_min_work};
  t.add_family("QPad", family);
  t.add_lowering({"Pad"}, lowering::match_pad);
}

}  // namespace npusim::compiler::npu_ops
