// QAdd / QMul -> vec.add / vec.mul, tiled over the output's rows (image rows
// of an NHWC tensor, or the leading dims of a row-major one) and double
// buffered. An operand broadcast per channel or as a scalar is loaded once
// per layer; a full or per-pixel operand comes with each tile. Operands the
// segment planner keeps in SRAM are read (and the output written) in place.
#include <algorithm>
#include <optional>

#include "../npu_op_table.hpp"
#include "../npu_ops/binary.hpp"
#include "families.hpp"
#include "npusim/isa/program.hpp"

namespace npusim::compiler::codegen {
namespace {

using isa::Engine;
using isa::Field;

enum Bcast : int { kFull = 0, kPerChannel = 1, kPerRow = 2, kScalar = 3 };

struct Geometry {
  RowShape out;          // the output as rows
  int64_t channels = 1;  // innermost device dim
  int64_t pixels = 1;    // per row: out.row_bytes / channels
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
  const Value& y = g.value(n.outputs[0]);
  const Shape& out = y.shape;
  Geometry geo;
  geo.out = row_shape(y);
  const Shape dev = device_shape(out);
  if (!dev.empty()) geo.channels = dev.back();
  geo.pixels = geo.channels ? int64_t(geo.out.row_bytes) / geo.channels : 0;
  for (int k = 0; k < 2; ++k) {
    const Shape& in = g.value(n.inputs[k]).shape;
    if (in.size() > out.size() || (geo.mode[k] = bcast_mode(in, out)) < 0) {
      why = "broadcasting " + shape_string(in) + " to " + shape_string(out) +
            " is not full, per channel, per pixel or scalar";
      return std::nullopt;
    }
  }
  if (geo.pixels < 1 || geo.channels < 1 || geo.channels > 65535) {
    why = "channels outside vec.add's 16-bit range";
    return std::nullopt;
  }
  return geo;
}

// Bytes of operand k per output row (0: loaded once per layer).
uint64_t row_bytes(const Geometry& geo, int k) {
  return geo.mode[k] == kFull ? geo.out.row_bytes : geo.mode[k] == kPerRow ? geo.pixels : 0;
}
uint64_t once_bytes(const Geometry& geo, int k) {
  return geo.mode[k] == kPerChannel ? geo.channels : geo.mode[k] == kScalar ? 1 : 0;
}

// Which operands (0, 1: inputs; 2: the output) are in SRAM in place.
struct InPlace {
  bool operand[3] = {false, false, false};
};

struct Sram {
  uint64_t once[2] = {0, 0}, in[2][2] = {{0, 0}, {0, 0}}, out[2] = {0, 0}, total = 0;
};

Sram layout(const Geometry& geo, int64_t rows, const InPlace& ip) {
  SramLayout l;
  Sram p;
  for (int k = 0; k < 2; ++k) p.once[k] = ip.operand[k] ? 0 : l.take(once_bytes(geo, k));
  for (int b = 0; b < 2; ++b) {
    for (int k = 0; k < 2; ++k) p.in[b][k] = ip.operand[k] ? 0 : l.take(row_bytes(geo, k) * rows);
    p.out[b] = ip.operand[2] ? 0 : l.take(uint64_t(rows) * geo.out.row_bytes);
  }
  p.total = l.total();
  return p;
}

int64_t tile_rows(const Geometry& geo, uint64_t sram, const InPlace& ip) {
  const uint64_t unit = geo.out.row_bytes * 3;
  // vec.add's count (pixels) is 24-bit
  const int64_t cap =
      std::min<int64_t>(pipeline_tile_cap(geo.out.rows, unit), ((1 << 24) - 1) / geo.pixels);
  return largest_tile(std::min(geo.out.rows, cap), sram,
                      [&](int64_t r) { return layout(geo, r, ip).total; });
}

isa::Instruction vec_op(const Node& n, const Geometry& geo, uint64_t a, uint64_t b, uint64_t dst,
                        int64_t count, bool in_signed) {
  const auto q = read_attrs<QBinaryAttrs>(n);
  const int64_t lo = std::max<int64_t>(-32768, q.out.act_lo);
  const int64_t hi = std::min<int64_t>(32767, q.out.act_hi);
  isa::Instruction in = isa::make(n.op == "QAdd" ? isa::Opcode::kVecAdd : isa::Opcode::kVecMul,
                                  {{Field::kSrc, int64_t(a)},
                                   {Field::kSrc2, int64_t(b)},
                                   {Field::kDst, int64_t(dst)},
                                   {Field::kCount, count},
                                   {Field::kChannels, geo.channels},
                                   {Field::kBcastA, geo.mode[0]},
                                   {Field::kBcastB, geo.mode[1]},
                                   {Field::kSrcZp, q.a_zp},
                                   {Field::kSrc2Zp, q.b_zp},
                                   {Field::kOutZp, q.out.y_zp},
                                   {Field::kSrcSigned, in_signed},
                                   {Field::kOutSigned, q.out.y_signed},
                                   {Field::kMultOut, q.mult},
                                   {Field::kShiftOut, q.shift},
                                   {Field::kClampLo, lo},
                                   {Field::kClampHi, hi}});
  if (n.op == "QAdd") {
    in[Field::kMult] = q.mult_a;
    in[Field::kShift] = q.shift_a;
    in[Field::kMult2] = q.mult_b;
    in[Field::kShift2] = q.shift_b;
  }
  return in;
}

}  // namespace

std::string binary_unsupported(const Graph& g, const Node& n, const isa::HwParams& hw) {
  std::string why;
  const auto geo = geometry(g, n, why);
  if (!geo) return why;
  if (tile_rows(*geo, hw.sram_per_pe, {}) < 1) return "one row of channels does not fit in SRAM";
  return "";
}

LayerTraits binary_traits(const Graph& g, const Node& n) {
  LayerTraits t;
  std::string why;
  const auto geo = geometry(g, n, why);
  t.sram_in.assign(n.inputs.size(), false);
  if (!geo) return t;
  t.row_local = true;
  t.out_rows = geo->out.rows;
  const Geometry gm = *geo;
  t.input_rows = [gm](size_t k, RowRange out) {
    // Row-shaped operands follow the output's rows; broadcast ones are read whole.
    return row_bytes(gm, int(k)) ? out : kAllRows;
  };
  for (int k = 0; k < 2; ++k) t.sram_in[k] = row_bytes(*geo, k) > 0;
  t.sram_out = true;
  return t;
}

uint64_t binary_min_work(const Graph& g, const Node& n, const isa::HwParams&) {
  std::string why;
  const auto geo = geometry(g, n, why);
  return geo ? layout(*geo, 1, {}).total : 0;
}

LayerCode plan_binary(const LayerEnv& e) {
  std::string why;
  const Node& n = e.node;
  const Geometry geo = *geometry(e.g, n, why);
  const std::string names[3] = {n.inputs[0], n.inputs[1], n.outputs[0]};
  InPlace ip;
  for (int k = 0; k < 3; ++k) ip.operand[k] = e.resident(names[k]);
  const int64_t tile = tile_rows(geo, e.work_bytes, ip);
  const Sram p = layout(geo, tile, ip);
  DramPlace dram[3];
  for (int k = 0; k < 3; ++k)
    if (!ip.operand[k]) dram[k] = e.at(names[k]);
  const SramTensor* held[2][3] = {};
  for (int slot = 0; slot < 2; ++slot)
    for (int k = 0; k < 3; ++k) held[slot][k] = e.held(names[k], slot);
  const bool in_signed = e.g.value(n.inputs[0]).dtype == DType::kInt8;
  LayerCode code;
  code.units = geo.out.rows;
  code.sram = p.total;
  code.summary = tiling_summary(n, code.units, tile, "rows", p.total);
  std::vector<std::array<const SramTensor*, 3>> slots;
  for (int slot = 0; slot < 2; ++slot)
    slots.push_back({held[slot][0], held[slot][1], held[slot][2]});
  code.emit = [=, &n](Streams& s, int slot, uint64_t base, int64_t begin, int64_t end) {
    if (begin >= end) return;
    const auto& in_sram = slots[slot];
    for (int64_t img = 0; img < geo.out.images; ++img) {
      const uint64_t image = uint64_t(img * geo.out.rows);
      auto operand = [&](int b, int k, int64_t r0) -> uint64_t {
        if (in_sram[k]) return row_bytes(geo, k) ? in_sram[k]->at(img, r0) : in_sram[k]->at(0, 0);
        return base + (row_bytes(geo, k) ? p.in[b][k] : p.once[k]);
      };
      TileSteps steps;
      if (img == 0 && ((once_bytes(geo, 0) && !in_sram[0]) || (once_bytes(geo, 1) && !in_sram[1])))
        steps.setup = [&](int) {  // broadcast operands in DRAM, once per layer
          for (int k = 0; k < 2; ++k)
            if (once_bytes(geo, k) && !in_sram[k])
              s.emit(slot, Engine::kLoad,
                     dma(isa::Opcode::kDmaLoad, dram[k], 0, base + p.once[k], once_bytes(geo, k)));
        };
      if ((row_bytes(geo, 0) && !in_sram[0]) || (row_bytes(geo, 1) && !in_sram[1]))
        steps.load = [&](int b, int64_t r0, int64_t r1) {
          for (int k = 0; k < 2; ++k)
            if (const uint64_t rb = row_bytes(geo, k); rb && !in_sram[k])
              s.emit(slot, Engine::kLoad,
                     dma(isa::Opcode::kDmaLoad, dram[k], (image + r0) * rb, base + p.in[b][k],
                         (r1 - r0) * rb));
        };
      steps.compute = [&](int b, int64_t r0, int64_t r1) {
        const uint64_t out = in_sram[2] ? in_sram[2]->at(img, r0) : base + p.out[b];
        s.emit(slot, Engine::kCompute,
               vec_op(n, geo, operand(b, 0, r0), operand(b, 1, r0), out, (r1 - r0) * geo.pixels,
                      in_signed));
      };
      if (!in_sram[2])
        steps.store = [&](int b, int64_t r0, int64_t r1) {
          s.emit(slot, Engine::kStore,
                 dma(isa::Opcode::kDmaStore, dram[2], (image + r0) * geo.out.row_bytes,
                     base + p.out[b], (r1 - r0) * geo.out.row_bytes));
        };
      emit_tiles(s, slot, begin, end, tile, steps);
    }
  };
  return code;
}

}  // namespace npusim::compiler::codegen

namespace npusim::compiler::npu_ops {

// The compiler side of npu_ops/binary.hpp: its code generator and the ONNX ops lowered to it.
void register_compiler_binary(NpuOpTable& t) {
  using namespace codegen;
  const Family family{binary_unsupported, plan_binary, binary_traits, binary_min_work};
  t.add_family("QAdd", family);
  t.add_family("QMul", family);
  t.add_lowering({"Add", "Sub", "Mul"}, lowering::match_binary);
}

}  // namespace npusim::compiler::npu_ops
