#include "conv_codegen.hpp"

#include <algorithm>
#include <cstring>

#include "npusim/isa/program.hpp"

namespace npusim::compiler::codegen {
namespace {

using isa::Engine;
using isa::Field;

struct Geometry {
  int64_t n, c, h, w, oc, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, group;
  int64_t out_elem;  // bytes per output element: 1, or 4 for int32 sums (int32_out)
};

Geometry geometry(const ConvLayer& l) {
  const Node& q = *l.node;
  const auto s = q.ints("strides"), d = q.ints("dilations"), p = q.ints("pads");
  Geometry g{};
  g.n = l.in[0];
  g.c = l.in[1];
  g.h = l.in[2];
  g.w = l.in[3];
  g.oc = l.out[1];
  g.oh = l.out[2];
  g.ow = l.out[3];
  g.sh = s[0];
  g.sw = s[1];
  g.dh = d[0];
  g.dw = d[1];
  g.pt = p[0];
  g.pl = p[1];
  g.pb = p[2];
  g.pr = p[3];
  g.group = q.i("group", 1);
  g.kh = l.kh;
  g.kw = l.kw;
  g.out_elem = q.i("int32_out", 0) ? 4 : 1;
  return g;
}

// Input rows a tile of output rows [r0, r1) reads, before clamping to the tensor.
struct RowSpan {
  int64_t first, last;  // inclusive, may lie in the padding
};
RowSpan input_rows(const Geometry& g, int64_t r0, int64_t r1) {
  return {r0 * g.sh - g.pt, (r1 - 1) * g.sh - g.pt + (g.kh - 1) * g.dh};
}

uint64_t weight_bytes(const Geometry& g) {
  return uint64_t(g.oc * g.kh * g.kw * (g.c / g.group));
}

ConvSram layout(const Geometry& g, int64_t rows) {
  ConvSram p;
  p.rows = rows;
  uint64_t at = 0;
  auto take = [&](uint64_t bytes) {
    const uint64_t a = at;
    at = align64(at + bytes);
    return a;
  };
  p.weights = take(weight_bytes(g));
  p.bias = take(4 * g.oc);
  p.table = take(8 * g.oc);
  const RowSpan span = input_rows(g, 0, rows);
  const uint64_t in_bytes = uint64_t(span.last - span.first + 1) * g.w * g.c;
  p.in[0] = take(in_bytes);
  p.in[1] = take(in_bytes);
  // int32 sums go straight into the (double-buffered) output: no accumulator.
  p.acc = take(g.out_elem == 4 ? 0 : uint64_t(rows) * g.ow * g.oc * 4);
  p.out[0] = take(uint64_t(rows) * g.ow * g.oc * g.out_elem);
  p.out[1] = take(uint64_t(rows) * g.ow * g.oc * g.out_elem);
  p.total = at;
  return p;
}

}  // namespace

uint64_t append_conv_params(const Graph& graph, const Node& q, std::vector<uint8_t>& blob) {
  const Tensor& w = *graph.value(q.inputs[1]).constant;
  const int64_t oc = w.shape()[0], cg = w.shape()[1], kh = w.shape()[2], kw = w.shape()[3];
  const uint64_t start = align64(blob.size());
  blob.resize(start);
  // weights: OIHW -> [oc][kh][kw][cg], the matrix unit's layout
  const auto src = std::span<const uint8_t>(w.raw());
  for (int64_t o = 0; o < oc; ++o)
    for (int64_t y = 0; y < kh; ++y)
      for (int64_t x = 0; x < kw; ++x)
        for (int64_t c = 0; c < cg; ++c) blob.push_back(src[((o * cg + c) * kh + y) * kw + x]);
  blob.resize(align64(blob.size()));
  std::vector<int32_t> bias(oc, 0);
  if (q.inputs.size() > 2 && !q.inputs[2].empty()) {
    const Tensor& b = *graph.value(q.inputs[2]).constant;
    std::copy(b.as<int32_t>().begin(), b.as<int32_t>().end(), bias.begin());
  }
  const auto* bb = reinterpret_cast<const uint8_t*>(bias.data());
  blob.insert(blob.end(), bb, bb + 4 * oc);
  blob.resize(align64(blob.size()));
  const auto mult = q.ints("mult"), shift = q.ints("shift");
  for (int64_t o = 0; o < oc; ++o) {
    const int32_t pair[2] = {static_cast<int32_t>(mult[o]), static_cast<int32_t>(shift[o])};
    const auto* pb = reinterpret_cast<const uint8_t*>(pair);
    blob.insert(blob.end(), pb, pb + 8);
  }
  return start;
}

ConvSram plan_conv_sram(const ConvLayer& l, const isa::HwParams& hw) {
  const Geometry g = geometry(l);
  for (int64_t rows = g.oh; rows >= 1; rows = rows > 1 ? (rows + 1) / 2 : 0) {
    const ConvSram p = layout(g, rows);
    if (p.total <= hw.sram_per_pe) {
      // Grow back towards the largest fitting tile in small steps.
      ConvSram best = p;
      for (int64_t r = rows + 1; r <= std::min(g.oh, rows * 2); ++r) {
        const ConvSram q = layout(g, r);
        if (q.total > hw.sram_per_pe) break;
        best = q;
      }
      return best;
    }
    if (rows == 1) break;
  }
  throw CompileError(
      l.node->describe() + ": does not fit in " + std::to_string(hw.sram_per_pe >> 10) +
      " KiB of SRAM even one output row at a time (weights " + std::to_string(weight_bytes(g)) +
      " bytes); output-channel tiling is not implemented yet");
}

void emit_conv(Streams& s, const ConvLayer& l, const ConvSram& p, int slot, uint64_t base,
               int64_t row_begin, int64_t row_end) {
  const Geometry g = geometry(l);
  // Parameters: weights, bias and table are contiguous in the blob and in SRAM.
  s.emit(slot, Engine::kLoad,
         isa::make(isa::Opcode::kDmaLoad, {{Field::kDramBase, isa::kBaseWeights},
                                           {Field::kDramOff, int64_t(l.params_offset)},
                                           {Field::kSram, int64_t(base + p.weights)},
                                           {Field::kLen0, int64_t(p.table + 8 * g.oc - p.weights)},
                                           {Field::kCnt1, 1},
                                           {Field::kCnt2, 1}}));
  const uint64_t row_in = uint64_t(g.w * g.c), row_out = uint64_t(g.ow * g.oc * g.out_elem);
  const bool sums_out = g.out_elem == 4;
  int tile = 0;
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t r0 = row_begin; r0 < row_end; r0 += p.rows, ++tile) {
      const int64_t r1 = std::min(row_end, r0 + p.rows);
      const int b = tile % 2;
      const RowSpan span = input_rows(g, r0, r1);
      const int64_t first = std::max<int64_t>(0, span.first), last = std::min(g.h - 1, span.last);
      // load: the input rows of this tile
      s.wait(slot, Engine::kLoad, kInFree0 + b);
      s.emit(
          slot, Engine::kLoad,
          isa::make(isa::Opcode::kDmaLoad,
                    {{Field::kDramBase, l.x.base},
                     {Field::kDramOff, int64_t(l.x.offset + (uint64_t(n * g.h + first)) * row_in)},
                     {Field::kSram, int64_t(base + p.in[b])},
                     {Field::kLen0, int64_t(uint64_t(last - first + 1) * row_in)},
                     {Field::kCnt1, 1},
                     {Field::kCnt2, 1}}));
      s.signal(slot, Engine::kLoad, kInFull0 + b);
      // compute: convolution into the int32 accumulator, then requantise (or,
      // for int32 sums, straight into the output buffer)
      s.wait(slot, Engine::kCompute, kInFull0 + b);
      if (sums_out) s.wait(slot, Engine::kCompute, kOutFree0 + b);
      const Node& q = *l.node;
      s.emit(slot, Engine::kCompute,
             isa::make(isa::Opcode::kMatConv,
                       {{Field::kSrc, int64_t(base + p.in[b])},
                        {Field::kWgt, int64_t(base + p.weights)},
                        {Field::kBias, int64_t(base + p.bias)},
                        {Field::kDst, int64_t(base + (sums_out ? p.out[b] : p.acc))},
                        {Field::kInH, last - first + 1},
                        {Field::kInW, g.w},
                        {Field::kInC, g.c},
                        {Field::kOutC, g.oc},
                        {Field::kKH, g.kh},
                        {Field::kKW, g.kw},
                        {Field::kStrideH, g.sh},
                        {Field::kStrideW, g.sw},
                        {Field::kDilH, g.dh},
                        {Field::kDilW, g.dw},
                        {Field::kPadT, first - span.first},
                        {Field::kPadL, g.pl},
                        {Field::kPadB, span.last - last},
                        {Field::kPadR, g.pr},
                        {Field::kGroups, g.group},
                        {Field::kSrcZp, q.i("x_zp", 0)},
                        {Field::kWgtZp, q.i("w_zp", 0)},
                        {Field::kSrcSigned, q.i("x_signed", 1)},
                        {Field::kWgtSigned, q.i("w_signed", 1)},
                        {Field::kBiasEn, 1}}));
      s.signal(slot, Engine::kCompute, kInFree0 + b);
      if (!sums_out) {
        s.wait(slot, Engine::kCompute, kOutFree0 + b);
        s.emit(slot, Engine::kCompute,
               isa::make(isa::Opcode::kVecRequant,
                         {{Field::kSrc, int64_t(base + p.acc)},
                          {Field::kDst, int64_t(base + p.out[b])},
                          {Field::kCount, (r1 - r0) * g.ow},
                          {Field::kChannels, g.oc},
                          {Field::kPerChannel, 1},
                          {Field::kParams, int64_t(base + p.table)},
                          {Field::kOutZp, q.i("y_zp", 0)},
                          {Field::kOutSigned, q.i("y_signed", 1)},
                          {Field::kClampLo, std::max<int64_t>(-32768, q.i("act_lo", -32768))},
                          {Field::kClampHi, std::min<int64_t>(32767, q.i("act_hi", 32767))}}));
      }
      s.signal(slot, Engine::kCompute, kOutFull0 + b);
      // store: the tile's output rows
      s.wait(slot, Engine::kStore, kOutFull0 + b);
      s.emit(slot, Engine::kStore,
             isa::make(isa::Opcode::kDmaStore,
                       {{Field::kDramBase, l.y.base},
                        {Field::kDramOff, int64_t(l.y.offset + uint64_t(n * g.oh + r0) * row_out)},
                        {Field::kSram, int64_t(base + p.out[b])},
                        {Field::kLen0, int64_t(uint64_t(r1 - r0) * row_out)},
                        {Field::kCnt1, 1},
                        {Field::kCnt2, 1}}));
      s.signal(slot, Engine::kStore, kOutFree0 + b);
    }
}

}  // namespace npusim::compiler::codegen
