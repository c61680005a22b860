// QPool -> vec.pool (max or average), tiled over output rows like the
// convolution: a tile loads the input rows its windows cover, and the padding
// it is given is only the tensor's own at the top and bottom edges, so the
// valid-tap counts of average pooling do not change at tile seams. A max pool
// that requantises runs vec.lut in place on the pooled tile.
#include <algorithm>
#include <array>
#include <optional>

#include "../npu_op_table.hpp"
#include "../npu_ops/pool.hpp"
#include "families.hpp"
#include "npusim/isa/program.hpp"

namespace npusim::compiler::codegen {
namespace {

using isa::Engine;
using isa::Field;

struct Geometry {
  int64_t n, c, h, w, oh, ow, kh, kw, sh, sw, pt, pl, pb, pr;
};

std::optional<Geometry> geometry(const Graph& g, const Node& q, std::string& why) {
  const Shape& in = g.value(q.inputs[0]).shape;
  const Shape& out = g.value(q.outputs[0]).shape;
  const auto a = read_attrs<QPoolAttrs>(q);
  const Ints &k = a.kernel_shape, &s = a.strides, &p = a.pads;
  if (in.size() != 4 || out.size() != 4 || k.size() != 2 || s.size() != 2 || p.size() != 4) {
    why = "QPool needs 4-D tensors and a 2-D window";
    return std::nullopt;
  }
  const Geometry geo{in[0], in[1], in[2], in[3], out[2], out[3], k[0],
                     k[1],  s[0],  s[1],  p[0],  p[1],   p[2],   p[3]};
  if (geo.c > 65535 || geo.h > 65535 || geo.w > 65535) {
    why = "dimensions above vec.pool's 16-bit fields";
    return std::nullopt;
  }
  // A window row-range entirely in the padding would leave a tile without input rows.
  for (int64_t o = 0; o < geo.oh; ++o)
    if (o * geo.sh - geo.pt + geo.kh <= 0 || o * geo.sh - geo.pt >= geo.h) {
      why = "a pooling window lies entirely in the padding";
      return std::nullopt;
    }
  return geo;
}

struct RowSpan {
  int64_t first, last;  // inclusive input rows of output rows [r0, r1), may lie in the padding
};
RowSpan input_rows(const Geometry& geo, int64_t r0, int64_t r1) {
  return {r0 * geo.sh - geo.pt, (r1 - 1) * geo.sh - geo.pt + geo.kh - 1};
}

BufferedSram layout(const Geometry& geo, int64_t rows, bool in_sram = false,
                    bool out_sram = false) {
  const RowSpan span = input_rows(geo, 0, rows);
  return buffered_sram(in_sram ? 0 : uint64_t(span.last - span.first + 1) * geo.w * geo.c,
                       out_sram ? 0 : uint64_t(rows) * geo.ow * geo.c);
}

int64_t tile_rows(const Geometry& geo, uint64_t sram, bool in_sram = false, bool out_sram = false) {
  const int64_t cap = pipeline_tile_cap(geo.oh, uint64_t(geo.ow) * geo.c * (geo.kh + 1));
  return largest_tile(std::min(geo.oh, cap), sram,
                      [&](int64_t r) { return layout(geo, r, in_sram, out_sram).total; });
}

isa::Instruction vec_pool(const Node& q, const Geometry& geo, uint64_t src, uint64_t dst,
                          int64_t first, int64_t last, const RowSpan& span, bool in_signed) {
  const auto a = read_attrs<QPoolAttrs>(q);
  return isa::make(isa::Opcode::kVecPool, {{Field::kSrc, int64_t(src)},
                                           {Field::kDst, int64_t(dst)},
                                           {Field::kInH, last - first + 1},
                                           {Field::kInW, geo.w},
                                           {Field::kInC, geo.c},
                                           {Field::kKH, geo.kh},
                                           {Field::kKW, geo.kw},
                                           {Field::kStrideH, geo.sh},
                                           {Field::kStrideW, geo.sw},
                                           {Field::kPadT, first - span.first},
                                           {Field::kPadL, geo.pl},
                                           {Field::kPadB, span.last - last},
                                           {Field::kPadR, geo.pr},
                                           {Field::kMode, a.mode},
                                           {Field::kCountPad, a.count_pad},
                                           {Field::kSrcZp, a.x_zp},
                                           {Field::kOutZp, a.y_zp},
                                           {Field::kSrcSigned, in_signed},
                                           {Field::kMult, a.mult},
                                           {Field::kShift, a.shift}});
}

}  // namespace

std::string pool_unsupported(const Graph& g, const Node& n, const isa::HwParams& hw) {
  std::string why;
  const auto geo = geometry(g, n, why);
  if (!geo) return why;
  if (tile_rows(*geo, hw.sram_per_pe) < 1)
    return "one output row's input window does not fit in SRAM";
  return "";
}

LayerTraits pool_traits(const Graph& g, const Node& n) {
  LayerTraits t;
  t.sram_in = {false};
  std::string why;
  const auto geo = geometry(g, n, why);
  if (!geo) return t;
  t.row_local = true;
  t.out_rows = geo->oh;
  const Geometry gm = *geo;
  t.input_rows = [gm](size_t, RowRange out) {
    if (out.size() == 0) return RowRange{};
    const RowSpan span = input_rows(gm, out.begin, out.end);
    return RowRange{span.first, span.last + 1};
  };
  t.sram_in = {true};
  t.sram_out = true;
  return t;
}

uint64_t pool_min_work(const Graph& g, const Node& n, const isa::HwParams&) {
  std::string why;
  const auto geo = geometry(g, n, why);
  return geo ? layout(*geo, 1).total : 0;
}

LayerCode plan_pool(const LayerEnv& e) {
  std::string why;
  const Node& q = e.node;
  const Geometry geo = *geometry(e.g, q, why);
  const bool in_sram = e.resident(q.inputs[0]), out_sram = e.resident(q.outputs[0]);
  const int64_t tile = tile_rows(geo, e.work_bytes, in_sram, out_sram);
  const BufferedSram p = layout(geo, tile, in_sram, out_sram);
  const DramPlace x = in_sram ? DramPlace{} : e.at(q.inputs[0]),
                  y = out_sram ? DramPlace{} : e.at(q.outputs[0]);
  const OutputTable out_table = output_table(e.blob, read_attrs<QPoolAttrs>(q).table.table);
  const bool in_signed = e.g.value(q.inputs[0]).dtype == DType::kInt8;
  std::array<std::array<const SramTensor*, 2>, 2> held = {
      {{e.held(q.inputs[0], 0), e.held(q.outputs[0], 0)},
       {e.held(q.inputs[0], 1), e.held(q.outputs[0], 1)}}};
  LayerCode code;
  code.units = geo.oh;
  code.sram = p.total;
  code.summary = tiling_summary(q, code.units, tile, "output rows", p.total);
  code.emit = [=, &q](Streams& s, int slot, uint64_t base, int64_t begin, int64_t end) {
    if (begin >= end) return;
    const SramTensor* in = in_sram ? held[slot][0] : nullptr;
    const SramTensor* out = out_sram ? held[slot][1] : nullptr;
    const uint64_t row_in = uint64_t(geo.w) * geo.c, row_out = uint64_t(geo.ow) * geo.c;
    for (int64_t img = 0; img < geo.n; ++img) {
      // Input rows actually read for a tile (clamped to the tensor).
      auto rows = [&](int64_t r0, int64_t r1) {
        const RowSpan span = input_rows(geo, r0, r1);
        return std::pair{std::max<int64_t>(0, span.first), std::min(geo.h - 1, span.last)};
      };
      TileSteps steps;
      if (img == 0)
        steps.setup = [&](int) { load_output_table(s, slot, out_table, base + p.table); };
      if (!in)
        steps.load = [&](int b, int64_t r0, int64_t r1) {
          const auto [first, last] = rows(r0, r1);
          s.emit(slot, Engine::kLoad,
                 dma(isa::Opcode::kDmaLoad, x, (img * geo.h + first) * row_in, base + p.in[b],
                     (last - first + 1) * row_in));
        };
      steps.compute = [&](int b, int64_t r0, int64_t r1) {
        const auto [first, last] = rows(r0, r1);
        const uint64_t src = in ? in->at(img, first) : base + p.in[b];
        const uint64_t dst = out ? out->at(img, r0) : base + p.out[b];
        s.emit(slot, Engine::kCompute,
               vec_pool(q, geo, src, dst, first, last, input_rows(geo, r0, r1), in_signed));
        if (out_table.requant)
          s.emit(slot, Engine::kCompute,
                 vec_lut(dst, dst, int64_t((r1 - r0) * row_out), base + p.table));
      };
      if (!out)
        steps.store = [&](int b, int64_t r0, int64_t r1) {
          s.emit(slot, Engine::kStore,
                 dma(isa::Opcode::kDmaStore, y, (img * geo.oh + r0) * row_out, base + p.out[b],
                     (r1 - r0) * row_out));
        };
      emit_tiles(s, slot, begin, end, tile, steps);
    }
  };
  return code;
}

}  // namespace npusim::compiler::codegen

namespace npusim::compiler::npu_ops {

// The compiler side of npu_ops/pool.hpp: its code generator and the ONNX ops lowered to it.
void register_compiler_pool(NpuOpTable& t) {
  using namespace codegen;
  const Family family{pool_unsupported, plan_pool, pool_traits, pool_min_work};
  t.add_family("QPool", family);
  t.add_lowering({"MaxPool", "AveragePool", "GlobalAveragePool"}, lowering::match_pool);
}

}  // namespace npusim::compiler::npu_ops
