// QAdd / QMul -> vec.add / vec.mul, tiled over rows (pixels of an NHWC
// tensor, or the leading dims of a row-major one) and double buffered. An
// operand broadcast per channel or as a scalar is loaded once per layer; a
// full or per-row operand is loaded with each tile.
#include <algorithm>
#include <optional>

#include "families.hpp"
#include "npusim/isa/program.hpp"

namespace npusim::compiler::codegen {
namespace {

using isa::Engine;
using isa::Field;

enum Bcast : int { kFull = 0, kPerChannel = 1, kPerRow = 2, kScalar = 3 };

struct Geometry {
  int64_t rows = 1, channels = 1;
  int mode[2] = {kFull, kFull};
};

// The broadcast mode of an operand of shape `in` for output `out` (same rank
// after numpy alignment), or -1 if vec.add/mul has none for it.
int bcast_mode(Shape in, const Shape& out) {
  in.insert(in.begin(), out.size() - std::min(out.size(), in.size()), 1);
  if (in == out) return kFull;
  if (element_count(in) == 1) return kScalar;
  const size_t c = out.size() == 4 ? 1 : out.size() - 1;  // the channel axis (innermost on device)
  bool channel_only = in[c] == out[c], rows_only = in[c] == 1;
  for (size_t d = 0; d < out.size(); ++d)
    if (d != c) {
      channel_only = channel_only && in[d] == 1;
      rows_only = rows_only && in[d] == out[d];
    }
  return channel_only ? kPerChannel : rows_only ? kPerRow : -1;
}

std::optional<Geometry> geometry(const Graph& g, const Node& n, std::string& why) {
  const Shape& out = g.value(n.outputs[0]).shape;
  Geometry geo;
  const Shape dev = device_shape(out);
  if (!dev.empty()) geo.channels = dev.back();
  geo.rows = geo.channels ? element_count(out) / geo.channels : 0;
  for (int k = 0; k < 2; ++k) {
    const Shape& in = g.value(n.inputs[k]).shape;
    if (in.size() > out.size() || (geo.mode[k] = bcast_mode(in, out)) < 0) {
      why = "broadcasting " + shape_string(in) + " to " + shape_string(out) +
            " is not full, per channel, per pixel or scalar";
      return std::nullopt;
    }
  }
  if (geo.rows < 1 || geo.channels < 1 || geo.channels > 65535) {
    why = "channels outside vec.add's 16-bit range";
    return std::nullopt;
  }
  return geo;
}

// Bytes of operand k per tile row (0: loaded once per layer).
uint64_t row_bytes(const Geometry& geo, int k) {
  return geo.mode[k] == kFull ? geo.channels : geo.mode[k] == kPerRow ? 1 : 0;
}
uint64_t once_bytes(const Geometry& geo, int k) {
  return geo.mode[k] == kPerChannel ? geo.channels : geo.mode[k] == kScalar ? 1 : 0;
}

struct Sram {
  uint64_t once[2] = {0, 0}, in[2][2] = {{0, 0}, {0, 0}}, out[2] = {0, 0}, total = 0;
};

Sram layout(const Geometry& geo, int64_t rows) {
  SramLayout l;
  Sram p;
  for (int k = 0; k < 2; ++k) p.once[k] = l.take(once_bytes(geo, k));
  for (int b = 0; b < 2; ++b) {
    for (int k = 0; k < 2; ++k) p.in[b][k] = l.take(row_bytes(geo, k) * rows);
    p.out[b] = l.take(uint64_t(rows) * geo.channels);
  }
  p.total = l.total();
  return p;
}

int64_t tile_rows(const Geometry& geo, const isa::HwParams& hw) {
  const uint64_t unit = geo.channels * 3;
  // vec.add's count is 24-bit
  const int64_t cap = std::min<int64_t>(pipeline_tile_cap(geo.rows, unit), (1 << 24) - 1);
  return largest_tile(std::min(geo.rows, cap), hw.sram_per_pe,
                      [&](int64_t r) { return layout(geo, r).total; });
}

isa::Instruction vec_op(const Node& n, const Geometry& geo, uint64_t a, uint64_t b, uint64_t dst,
                        int64_t count, bool in_signed) {
  const int64_t lo = std::max<int64_t>(-32768, n.i("act_lo", -32768));
  const int64_t hi = std::min<int64_t>(32767, n.i("act_hi", 32767));
  isa::Instruction in = isa::make(n.op == "QAdd" ? isa::Opcode::kVecAdd : isa::Opcode::kVecMul,
                                  {{Field::kSrc, int64_t(a)},
                                   {Field::kSrc2, int64_t(b)},
                                   {Field::kDst, int64_t(dst)},
                                   {Field::kCount, count},
                                   {Field::kChannels, geo.channels},
                                   {Field::kBcastA, geo.mode[0]},
                                   {Field::kBcastB, geo.mode[1]},
                                   {Field::kSrcZp, n.i("a_zp", 0)},
                                   {Field::kSrc2Zp, n.i("b_zp", 0)},
                                   {Field::kOutZp, n.i("y_zp", 0)},
                                   {Field::kSrcSigned, in_signed},
                                   {Field::kOutSigned, n.i("y_signed", 1)},
                                   {Field::kMultOut, n.i("mult", 0)},
                                   {Field::kShiftOut, n.i("shift", 0)},
                                   {Field::kClampLo, lo},
                                   {Field::kClampHi, hi}});
  if (n.op == "QAdd") {
    in[Field::kMult] = n.i("mult_a", 0);
    in[Field::kShift] = n.i("shift_a", 0);
    in[Field::kMult2] = n.i("mult_b", 0);
    in[Field::kShift2] = n.i("shift_b", 0);
  }
  return in;
}

}  // namespace

std::string binary_unsupported(const Graph& g, const Node& n, const isa::HwParams& hw) {
  std::string why;
  const auto geo = geometry(g, n, why);
  if (!geo) return why;
  if (tile_rows(*geo, hw) < 1) return "one row of channels does not fit in SRAM";
  return "";
}

LayerCode plan_binary(const LayerEnv& e) {
  std::string why;
  const Geometry geo = *geometry(e.g, e.node, why);
  const int64_t tile = tile_rows(geo, e.hw);
  const Sram p = layout(geo, tile);
  const DramPlace src[2] = {e.at(e.node.inputs[0]), e.at(e.node.inputs[1])};
  const DramPlace y = e.at(e.node.outputs[0]);
  const bool in_signed = e.g.value(e.node.inputs[0]).dtype == DType::kInt8;
  LayerCode code;
  code.units = geo.rows;
  code.sram = p.total;
  code.summary = tiling_summary(e.node, code.units, tile, "rows", p.total);
  const Node& n = e.node;
  code.emit = [=, &n](Streams& s, int slot, uint64_t base, int64_t begin, int64_t end) {
    if (begin >= end) return;
    for (int k = 0; k < 2; ++k)  // broadcast operands, once per layer
      if (once_bytes(geo, k))
        s.emit(slot, Engine::kLoad,
               dma(isa::Opcode::kDmaLoad, src[k], 0, base + p.once[k], once_bytes(geo, k)));
    auto operand = [&](int b, int k) {
      return base + (row_bytes(geo, k) ? p.in[b][k] : p.once[k]);
    };
    TileSteps steps;
    steps.load = [&](int b, int64_t r0, int64_t r1) {
      for (int k = 0; k < 2; ++k)
        if (const uint64_t rb = row_bytes(geo, k))
          s.emit(slot, Engine::kLoad,
                 dma(isa::Opcode::kDmaLoad, src[k], r0 * rb, base + p.in[b][k], (r1 - r0) * rb));
    };
    steps.compute = [&](int b, int64_t r0, int64_t r1) {
      s.emit(slot, Engine::kCompute,
             vec_op(n, geo, operand(b, 0), operand(b, 1), base + p.out[b], r1 - r0, in_signed));
    };
    steps.store = [&](int b, int64_t r0, int64_t r1) {
      s.emit(slot, Engine::kStore,
             dma(isa::Opcode::kDmaStore, y, r0 * geo.channels, base + p.out[b],
                 (r1 - r0) * geo.channels));
    };
    emit_tiles(s, slot, begin, end, tile, steps);
  };
  return code;
}

}  // namespace npusim::compiler::codegen
