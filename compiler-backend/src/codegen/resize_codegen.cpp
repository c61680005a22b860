// QResize (nearest) -> vec.resize for the width, DMA for the height. A tile
// of output rows loads the input rows they map to; vec.resize with
// in_h = out_h is the identity in H under every coordinate mode, so it only
// resizes the width, and the store DMA writes each resized row to all the
// output rows that map to it (an SRAM row stride of 0 repeats a row). This
// tiles any nearest resize exactly, whatever the scale.
// QResize (bilinear): vec.resize's coordinates depend on the whole image's
// size, so each image is one tile (input and output in SRAM at once); an
// image too large for that stays on the CPU.
#include <algorithm>
#include <array>
#include <optional>

#include "../npu_op_table.hpp"
#include "../npu_ops/resize.hpp"
#include "families.hpp"
#include "npusim/isa/kernels.hpp"
#include "npusim/isa/program.hpp"

namespace npusim::compiler::codegen {
namespace {

using isa::Engine;
using isa::Field;

struct Geometry {
  int64_t n, c, h, w, oh, ow, mode, coord;
  std::vector<int64_t> src_row;  // input row of each output row
};

std::optional<Geometry> geometry(const Graph& g, const Node& q, std::string& why) {
  const Shape& in = g.value(q.inputs[0]).shape;
  const Shape& out = g.value(q.outputs[0]).shape;
  if (in.size() != 4 || out.size() != 4 || in[0] != out[0] || in[1] != out[1]) {
    why = "QResize needs 4-D tensors resized in H and W";
    return std::nullopt;
  }
  const auto a = read_attrs<QResizeAttrs>(q);
  Geometry geo{in[0], in[1], in[2], in[3], out[2], out[3], a.mode, a.coord_mode, {}};
  if (geo.mode > 4 || geo.coord > 3) {
    why = "resize mode or coordinate mode outside vec.resize";
    return std::nullopt;
  }
  for (int64_t v : {geo.c, geo.h, geo.w, geo.oh, geo.ow})
    if (v > 65535) {
      why = "dimensions above vec.resize's 16-bit fields";
      return std::nullopt;
    }
  if (geo.mode == isa::kernels::kResizeBilinear)
    return geo;  // bilinear: whole images, no row mapping
  for (int64_t o = 0; o < geo.oh; ++o)
    geo.src_row.push_back(
        isa::kernels::resize_nearest_source(o, geo.h, geo.oh, geo.mode, geo.coord));
  return geo;
}

// Input rows (inclusive) of output rows [r0, r1); the mapping is monotonic.
std::pair<int64_t, int64_t> input_rows(const Geometry& geo, int64_t r0, int64_t r1) {
  return {geo.src_row[r0], geo.src_row[r1 - 1]};
}

// The most input rows any tile of `rows` output rows needs, wherever it
// starts (fused mode splits the rows at an arbitrary row).
int64_t max_span(const Geometry& geo, int64_t rows) {
  int64_t span = 1;
  for (int64_t r0 = 0; r0 < geo.oh; ++r0) {
    const auto [first, last] = input_rows(geo, r0, std::min(geo.oh, r0 + rows));
    span = std::max(span, last - first + 1);
  }
  return span;
}

// Staging buffers of a tile: the input rows it reads (unless the input is in
// SRAM) and those rows resized in width (always: the output rows are copies
// of them, made by the store DMA or, for an output in SRAM, by vec.copy).
BufferedSram layout(const Geometry& geo, int64_t rows, bool in_sram = false) {
  const int64_t span = max_span(geo, rows);
  return buffered_sram(in_sram ? 0 : uint64_t(span) * geo.w * geo.c,
                       uint64_t(span) * geo.ow * geo.c);
}

// Bilinear: one whole image in and out per tile.
BufferedSram bilinear_layout(const Geometry& geo) {
  return buffered_sram(uint64_t(geo.h) * geo.w * geo.c, uint64_t(geo.oh) * geo.ow * geo.c);
}

// vec.resize of an HWC image of in_h x geo.w to out_h x geo.ow.
isa::Instruction vec_resize(const Geometry& geo, uint64_t src, uint64_t dst, int64_t in_h,
                            int64_t out_h, int64_t mode, bool in_signed) {
  return isa::make(isa::Opcode::kVecResize, {{Field::kSrc, int64_t(src)},
                                             {Field::kDst, int64_t(dst)},
                                             {Field::kInH, in_h},
                                             {Field::kInW, geo.w},
                                             {Field::kInC, geo.c},
                                             {Field::kOutH, out_h},
                                             {Field::kOutW, geo.ow},
                                             {Field::kMode, mode},
                                             {Field::kCoordMode, geo.coord},
                                             {Field::kSrcSigned, in_signed}});
}

int64_t tile_rows(const Geometry& geo, uint64_t sram, bool in_sram = false) {
  if (geo.mode == isa::kernels::kResizeBilinear) return bilinear_layout(geo).total <= sram ? 1 : 0;
  const int64_t cap = pipeline_tile_cap(geo.oh, uint64_t(geo.ow) * geo.c);
  return largest_tile(std::min(geo.oh, cap), sram,
                      [&](int64_t r) { return layout(geo, r, in_sram).total; });
}

// Output rows [r0, r1) as copies of the resized input rows: runs of output
// rows sharing a source row repeat it (a row stride of 0 on the source), and
// runs of equal length and source step merge into one 3-D move.
struct RowRuns {
  int64_t start, src, count;  // the first run: output rows [start, start + count) from row src
  int64_t repeats, step;      // `repeats` such runs, each `step` source rows after the last
};

std::vector<RowRuns> row_runs(const Geometry& geo, int64_t r0, int64_t r1) {
  struct Run {
    int64_t src, start, count;
  };
  std::vector<Run> runs;
  for (int64_t o = r0; o < r1; ++o) {
    if (!runs.empty() && runs.back().src == geo.src_row[o])
      ++runs.back().count;
    else
      runs.push_back({geo.src_row[o], o, 1});
  }
  std::vector<RowRuns> out;
  for (size_t i = 0; i < runs.size();) {
    size_t j = i + 1;
    const int64_t step = j < runs.size() ? runs[j].src - runs[i].src : 0;
    while (j < runs.size() && runs[j].count == runs[i].count &&
           runs[j].src - runs[j - 1].src == step && j - i < 65535)
      ++j;
    out.push_back({runs[i].start, runs[i].src, runs[i].count, int64_t(j - i), step});
    i = j;
  }
  return out;
}

// Stores output rows [r0, r1) from the resized input rows at `sram` (row j =
// input row first + j) to DRAM.
void emit_rows(Streams& s, int slot, const Geometry& geo, DramPlace y, uint64_t image_off,
               uint64_t sram, int64_t r0, int64_t r1) {
  const uint64_t row = uint64_t(geo.ow) * geo.c;
  const int64_t first = geo.src_row[r0];
  for (const RowRuns& r : row_runs(geo, r0, r1)) {
    Walk w;
    w.len0 = row;
    w.cnt1 = r.count;
    w.dstride1 = row;
    w.sstride1 = 0;
    w.cnt2 = r.repeats;
    w.dstride2 = r.count * row;
    w.sstride2 = r.step * row;
    s.emit(
        slot, Engine::kStore,
        dma(isa::Opcode::kDmaStore, y, image_off + r.start * row, sram + (r.src - first) * row, w));
  }
}

// The same rows copied into an output held in SRAM (`dst`: output row r0).
void copy_rows(Streams& s, int slot, const Geometry& geo, uint64_t dst, uint64_t sram, int64_t r0,
               int64_t r1) {
  const int64_t row = geo.ow * geo.c;
  const int64_t first = geo.src_row[r0];
  for (const RowRuns& r : row_runs(geo, r0, r1))
    for (int64_t at = 0; at < row; at += kMaxCopyCount)
      s.emit(slot, Engine::kCompute,
             isa::make(isa::Opcode::kVecCopy,
                       {{Field::kSrc, int64_t(sram) + (r.src - first) * row + at},
                        {Field::kDst, int64_t(dst) + (r.start - r0) * row + at},
                        {Field::kElem, 1},
                        {Field::kCnt0, std::min(kMaxCopyCount, row - at)},
                        {Field::kCnt1, r.count},
                        {Field::kCnt2, r.repeats},
                        {Field::kSrcS0, 1},
                        {Field::kSrcS1, 0},
                        {Field::kSrcS2, r.step * row},
                        {Field::kDstS0, 1},
                        {Field::kDstS1, row},
                        {Field::kDstS2, r.count * row}}));
}

}  // namespace

std::string resize_unsupported(const Graph& g, const Node& n, const isa::HwParams& hw) {
  std::string why;
  const auto geo = geometry(g, n, why);
  if (!geo) return why;
  if (tile_rows(*geo, hw.sram_per_pe) < 1)
    return geo->mode == isa::kernels::kResizeBilinear
               ? "a bilinear resize needs its whole image in SRAM"
               : "one output row does not fit in SRAM";
  return "";
}

LayerTraits resize_traits(const Graph& g, const Node& n) {
  LayerTraits t;
  t.sram_in = {false};
  std::string why;
  const auto geo = geometry(g, n, why);
  if (!geo || geo->mode == isa::kernels::kResizeBilinear)
    return t;  // bilinear: whole images from DRAM
  t.row_local = true;
  t.out_rows = geo->oh;
  const Geometry gm = *geo;
  t.input_rows = [gm](size_t, RowRange out) {
    if (out.size() == 0) return RowRange{};
    const auto [first, last] = input_rows(gm, out.begin, out.end);
    return RowRange{first, last + 1};
  };
  t.sram_in = {true};
  t.sram_out = true;
  return t;
}

uint64_t resize_min_work(const Graph& g, const Node& n, const isa::HwParams&) {
  std::string why;
  const auto geo = geometry(g, n, why);
  if (!geo) return 0;
  return geo->mode == isa::kernels::kResizeBilinear ? bilinear_layout(*geo).total
                                                    : layout(*geo, 1).total;
}

namespace {

// Whole images [i0, i1) of a bilinear resize, one per tile.
LayerCode plan_bilinear(const LayerEnv& e, const Geometry& geo) {
  const BufferedSram p = bilinear_layout(geo);
  const uint64_t in_bytes = uint64_t(geo.h) * geo.w * geo.c,
                 out_bytes = uint64_t(geo.oh) * geo.ow * geo.c;
  const DramPlace x = e.at(e.node.inputs[0]), y = e.at(e.node.outputs[0]);
  const OutputTable t = output_table(e.blob, read_attrs<QResizeAttrs>(e.node).table.table);
  const bool in_signed = e.g.value(e.node.inputs[0]).dtype == DType::kInt8;
  LayerCode code;
  code.units = geo.n;
  code.sram = p.total;
  code.summary = tiling_summary(e.node, code.units, 1, "images (bilinear)", p.total);
  code.emit = [=](Streams& s, int slot, uint64_t base, int64_t begin, int64_t end) {
    if (begin >= end) return;
    TileSteps steps;
    steps.setup = [&](int) { load_output_table(s, slot, t, base + p.table); };
    steps.load = [&](int b, int64_t i0, int64_t) {
      s.emit(slot, Engine::kLoad,
             dma(isa::Opcode::kDmaLoad, x, i0 * in_bytes, base + p.in[b], in_bytes));
    };
    steps.compute = [&](int b, int64_t, int64_t) {
      const uint64_t out = base + p.out[b];
      s.emit(slot, Engine::kCompute,
             vec_resize(geo, base + p.in[b], out, geo.h, geo.oh, 4, in_signed));
      if (t.requant)
        s.emit(slot, Engine::kCompute, vec_lut(out, out, int64_t(out_bytes), base + p.table));
    };
    steps.store = [&](int b, int64_t i0, int64_t) {
      s.emit(slot, Engine::kStore,
             dma(isa::Opcode::kDmaStore, y, i0 * out_bytes, base + p.out[b], out_bytes));
    };
    emit_tiles(s, slot, begin, end, 1, steps);
  };
  return code;
}

}  // namespace

LayerCode plan_resize(const LayerEnv& e) {
  std::string why;
  const Node& q = e.node;
  const Geometry geo = *geometry(e.g, q, why);
  if (geo.mode == isa::kernels::kResizeBilinear) return plan_bilinear(e, geo);
  const bool in_sram = e.resident(q.inputs[0]), out_sram = e.resident(q.outputs[0]);
  const int64_t tile = tile_rows(geo, e.work_bytes, in_sram);
  const BufferedSram p = layout(geo, tile, in_sram);
  const DramPlace x = in_sram ? DramPlace{} : e.at(q.inputs[0]),
                  y = out_sram ? DramPlace{} : e.at(q.outputs[0]);
  const OutputTable out_table = output_table(e.blob, read_attrs<QResizeAttrs>(q).table.table);
  const bool in_signed = e.g.value(q.inputs[0]).dtype == DType::kInt8;
  std::array<std::array<const SramTensor*, 2>, 2> held = {
      {{e.held(q.inputs[0], 0), e.held(q.outputs[0], 0)},
       {e.held(q.inputs[0], 1), e.held(q.outputs[0], 1)}}};
  LayerCode code;
  code.units = geo.oh;
  code.sram = p.total;
  code.summary = tiling_summary(q, code.units, tile, "output rows", p.total);
  code.emit = [=](Streams& s, int slot, uint64_t base, int64_t begin, int64_t end) {
    if (begin >= end) return;
    const SramTensor* in = in_sram ? held[slot][0] : nullptr;
    const SramTensor* out = out_sram ? held[slot][1] : nullptr;
    const uint64_t row_in = uint64_t(geo.w) * geo.c, row_out = uint64_t(geo.ow) * geo.c;
    for (int64_t img = 0; img < geo.n; ++img) {
      TileSteps steps;
      if (img == 0)
        steps.setup = [&](int) { load_output_table(s, slot, out_table, base + p.table); };
      if (!in)
        steps.load = [&](int b, int64_t r0, int64_t r1) {
          const auto [first, last] = input_rows(geo, r0, r1);
          s.emit(slot, Engine::kLoad,
                 dma(isa::Opcode::kDmaLoad, x, (img * geo.h + first) * row_in, base + p.in[b],
                     (last - first + 1) * row_in));
        };
      steps.compute = [&](int b, int64_t r0, int64_t r1) {
        const auto [first, last] = input_rows(geo, r0, r1);
        const int64_t rows = last - first + 1;
        const uint64_t src = in ? in->at(img, first) : base + p.in[b];
        const uint64_t resized = base + p.out[b];
        s.emit(slot, Engine::kCompute,
               vec_resize(geo, src, resized, rows, rows, geo.mode, in_signed));
        if (out_table.requant)  // before duplication: each resized row once
          s.emit(slot, Engine::kCompute,
                 vec_lut(resized, resized, int64_t(rows * row_out), base + p.table));
        if (out) copy_rows(s, slot, geo, out->at(img, r0), resized, r0, r1);
      };
      if (!out)
        steps.store = [&](int b, int64_t r0, int64_t r1) {
          emit_rows(s, slot, geo, y, img * geo.oh * row_out, base + p.out[b], r0, r1);
        };
      emit_tiles(s, slot, begin, end, tile, steps);
    }
  };
  return code;
}

}  // namespace npusim::compiler::codegen

namespace npusim::compiler::npu_ops {

// The compiler side of npu_ops/resize.hpp: its code generator and the ONNX ops lowered to it.
void register_compiler_resize(NpuOpTable& t) {
  using namespace codegen;
  const Family family{resize_unsupported, plan_resize, resize_traits, resize_min_work};
  t.add_family("QResize", family);
  t.add_lowering({"Resize"}, lowering::match_resize);
}

}  // namespace npusim::compiler::npu_ops
