// Choosing a QConv schedule (conv_codegen.hpp), and the QConv family's
// entry points. Every candidate that fits the working area is emitted into
// scratch streams and priced by replaying them (estimate.hpp); the cheapest
// wins, and DRAM bytes break ties.
#include <algorithm>
#include <set>
#include <sstream>

#include "../npu_op_table.hpp"
#include "../npu_ops/conv.hpp"
#include "conv_codegen.hpp"
#include "estimate.hpp"
#include "families.hpp"
#include "npusim/isa/cost_model.hpp"
#include "npusim/isa/program.hpp"

namespace npusim::compiler::codegen {
namespace {

// The parameters' offsets for a blocking, without writing them.
ConvParams params_layout(const ConvGeometry& g) {
  ConvParams p;
  p.weights_bytes = uint64_t(g.oc * g.k());
  p.bias = align64(p.weights_bytes);
  p.table = p.bias + align64(4 * uint64_t(g.oc));
  p.bytes = p.table + 8 * uint64_t(g.oc);
  return p;
}

struct Cost {
  uint64_t cycles = 0, dram = 0;
  bool operator<(const Cost& o) const {
    return cycles != o.cycles ? cycles < o.cycles : dram < o.dram;
  }
};

// Prices a schedule on `rows` output rows by emitting it.
Cost price_rows(const Node& q, const ConvGeometry& g, const ConvSchedule& s, int64_t rows,
                const isa::HwParams& hw) {
  Streams st;
  SramTensor x, y;  // stand-ins for resident tensors (addresses do not matter here)
  x.shape = {g.n, g.h, uint64_t(g.w * g.c)};
  x.rows = g.h;
  y.shape = {g.n, g.oh, uint64_t(g.ow * g.oc)};
  y.rows = g.oh;
  ConvOperands ops;
  if (s.in_sram) ops.x_sram = &x;
  if (s.out_sram) ops.y_sram = &y;
  // Buffers start free, as at the start of a segment.
  for (int b = 0; b < 2; ++b) {
    st.signal(0, isa::Engine::kLoad, kInFree0 + b);
    st.signal(0, isa::Engine::kCompute, kOutFree0 + b);
    st.signal(0, isa::Engine::kLoad, kWgtFree0 + b);
  }
  emit_conv(st, q, g, s, conv_sram(g, s), params_layout(g), ops, 0, 0, 0, rows);
  const Estimate e = estimate(st, 1, hw);
  return {e.cycles, e.dram_bytes};
}

// Past a few pixel groups the groups repeat, and past a few channel blocks
// the blocks do, so the first ones are priced and the rest extrapolated:
// pricing stays cheap for layers of hundreds of groups or blocks.
Cost price(const Node& q, const ConvGeometry& g, const ConvSchedule& s, int64_t rows,
           const isa::HwParams& hw) {
  constexpr int64_t kPricedGroups = 4, kPricedBlocks = 4;
  const int64_t col_groups = (g.ow + s.cols - 1) / s.cols;
  const int64_t row_groups = std::max<int64_t>(1, kPricedGroups / col_groups);
  const int64_t priced = std::min(rows, row_groups * s.rows);
  ConvGeometry part = g;  // one image, at most kPricedBlocks blocks each way
  part.n = 1;
  double scale = double(g.n) * double(rows) / double(priced);
  if (g.group == 1 && g.oc > kPricedBlocks * s.ob) {
    part.oc = kPricedBlocks * s.ob;
    scale *= double(g.oc) / double(part.oc);
  }
  if (g.group == 1 && g.c > kPricedBlocks * s.ib) {
    part.c = kPricedBlocks * s.ib;
    scale *= double(g.c) / double(part.c);
  }
  Cost c = price_rows(q, part, s, priced, hw);
  c.cycles = uint64_t(double(c.cycles) * scale);
  c.dram = uint64_t(double(c.dram) * scale);
  return c;
}

// The largest n in [1, max] with fits(n), or 0.
int64_t largest(int64_t max, const std::function<bool(int64_t)>& fits) {
  if (max < 1 || !fits(1)) return 0;
  int64_t lo = 1, hi = max;
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo + 1) / 2;
    if (fits(mid))
      lo = mid;
    else
      hi = mid - 1;
  }
  return lo;
}

// Output-channel blocks: every channel, whole multiples of the array's
// columns (the matrix unit's passes do not grow), and below the array's width
// halving down to one channel (for working areas nothing larger fits);
// input-channel blocks: every channel, halving down to one. Grouped
// convolutions keep both whole.
std::vector<int64_t> output_blocks(const ConvGeometry& g, const isa::HwParams& hw) {
  if (g.group != 1) return {g.oc};
  std::set<int64_t> out = {g.oc};
  for (int64_t b = hw.array_cols; b < g.oc; b *= 2) out.insert(b);
  for (int64_t b = std::min<int64_t>(g.oc, hw.array_cols); b >= 1; b /= 2) out.insert(b);
  return {out.rbegin(), out.rend()};
}

std::vector<int64_t> input_blocks(const ConvGeometry& g) {
  if (g.group != 1) return {g.c};
  std::set<int64_t> out = {g.c};
  for (int64_t d = 2; d <= g.c; d *= 2) out.insert((g.c + d - 1) / d);
  return {out.rbegin(), out.rend()};
}

}  // namespace

std::string describe_conv_schedule(const ConvGeometry& g, const ConvSchedule& s, int64_t rows,
                                   uint64_t sram) {
  std::ostringstream o;
  const int64_t groups = g.n * ((rows + s.rows - 1) / s.rows) * ((g.ow + s.cols - 1) / s.cols);
  o << groups << (groups == 1 ? " tile" : " tiles") << " of " << s.rows << "x" << s.cols
    << " pixels";
  if (s.ob < g.oc) o << ", " << s.ob << "-channel output blocks";
  if (s.ib < g.c) o << ", " << s.ib << "-channel input blocks";
  o << ", weights "
    << (s.weights == WeightsAt::kResident    ? "resident"
        : s.weights == WeightsAt::kWorkAll   ? "loaded once"
        : s.weights == WeightsAt::kWorkBlock ? "by output block"
                                             : "by output and input block")
    << (s.order == LoopOrder::kWeightsOuter ? ", weights outer" : "");
  o << "; input " << (s.in_sram ? "in SRAM" : "from DRAM") << ", output "
    << (s.out_sram ? "in SRAM" : "to DRAM") << "; " << sram << " bytes of working SRAM";
  return o.str();
}

ConvChoice choose_conv_schedule(const Node& q, const ConvGeometry& g, uint64_t work,
                                bool params_resident, bool in_sram, bool out_sram, int64_t rows,
                                const isa::HwParams& hw) {
  rows = std::max<int64_t>(1, rows);
  // Sizes a candidate's pixel group to the working area: full-width rows
  // when one fits, else the widest column tile. Returns false if nothing fits.
  auto fit = [&](ConvSchedule& s) {
    auto fits = [&](const ConvSchedule& t) { return conv_sram(g, t).total <= work; };
    s.cols = g.ow;
    s.rows = 1;
    if (fits(s)) {
      s.rows = largest(rows, [&](int64_t r) {
        ConvSchedule t = s;
        t.rows = r;
        return fits(t);
      });
      return true;
    }
    s.cols = largest(g.ow, [&](int64_t c) {
      ConvSchedule t = s;
      t.cols = c;
      return fits(t);
    });
    return s.cols > 0;
  };
  // Every blocking that fits, sized; then the ones with the fewest blocks are
  // priced (more blocks only add weight passes and instructions).
  struct Fitted {
    ConvSchedule s;
    int64_t blocks;
  };
  std::vector<Fitted> fitted;
  for (const int64_t ob : output_blocks(g, hw))
    for (const int64_t ib : input_blocks(g)) {
      ConvSchedule s;
      s.ob = ob;
      s.ib = ib;
      s.in_sram = in_sram;
      s.out_sram = out_sram && g.out_elem == 1;
      std::vector<std::pair<WeightsAt, LoopOrder>> ways;
      if (params_resident) {
        ways = {{WeightsAt::kResident, LoopOrder::kPixelsOuter}};
      } else {
        ways = {{WeightsAt::kWorkAll, LoopOrder::kPixelsOuter}};
        if (ob < g.oc)
          ways.insert(ways.end(), {{WeightsAt::kWorkBlock, LoopOrder::kPixelsOuter},
                                   {WeightsAt::kWorkBlock, LoopOrder::kWeightsOuter}});
        if (ib < g.c) ways.push_back({WeightsAt::kWorkPiece, LoopOrder::kPixelsOuter});
      }
      const int64_t blocks = ((g.oc + ob - 1) / ob) * ((g.c + ib - 1) / ib);
      for (const auto& [weights, order] : ways) {
        s.weights = weights;
        s.order = order;
        if (fit(s)) fitted.push_back({s, blocks});
      }
    }
  std::stable_sort(fitted.begin(), fitted.end(),
                   [](const Fitted& a, const Fitted& b) { return a.blocks < b.blocks; });
  constexpr size_t kPriced = 48;
  if (fitted.size() > kPriced) fitted.resize(kPriced);
  ConvChoice best;
  Cost best_cost;
  for (const Fitted& f : fitted) {
    std::vector<int64_t> tiles = {f.s.rows};
    const bool streamed = !in_sram || !out_sram;  // smaller groups overlap DMA with compute
    if (streamed && f.s.rows >= 8 && f.s.cols == g.ow) tiles.push_back((f.s.rows + 3) / 4);
    for (const int64_t t : tiles) {
      ConvSchedule c = f.s;
      c.rows = t;
      const Cost cost = price(q, g, c, rows, hw);
      if (!best.found || cost < best_cost) {
        best = {c, cost.cycles, cost.dram, true};
        best_cost = cost;
      }
    }
  }
  return best;
}

namespace {

// The schedule with the least working area: one output pixel, one output
// channel and one input channel at a time, the weights loaded piece by piece
// (grouped convolutions keep their channels whole).
ConvSchedule smallest_schedule(const ConvGeometry& g, const isa::HwParams& hw) {
  ConvSchedule s;
  s.rows = s.cols = 1;
  if (g.group != 1) {
    s.ob = g.oc;
    s.ib = g.c;
    s.weights = WeightsAt::kWorkAll;
    return s;
  }
  s.ob = 1;
  s.ib = 1;
  s.weights = g.c > 1    ? WeightsAt::kWorkPiece
              : g.oc > 1 ? WeightsAt::kWorkBlock
                         : WeightsAt::kWorkAll;
  return s;
}

}  // namespace

std::string conv_unsupported(const Graph& g, const Node& n, const isa::HwParams& hw) {
  const ConvGeometry geo = conv_geometry(g, n);
  if (conv_sram(geo, smallest_schedule(geo, hw)).total > hw.sram_per_pe)
    return "does not fit in " + std::to_string(hw.sram_per_pe >> 10) +
           " KiB of SRAM even one output pixel and one block of channels at a time";
  return "";
}

LayerTraits conv_traits(const Graph& g, const Node& n) {
  const ConvGeometry geo = conv_geometry(g, n);
  LayerTraits t;
  t.row_local = true;
  t.out_rows = geo.oh;
  t.input_rows = [geo](size_t, RowRange out) {
    if (out.size() == 0) return RowRange{};
    const Span s = conv_input_rows(geo, out.begin, out.end);
    return RowRange{s.first, s.last + 1};
  };
  t.sram_in.assign(n.inputs.size(), false);
  t.sram_in[0] = true;
  t.sram_out = geo.out_elem == 1;
  t.params_bytes = conv_params_bytes(geo);
  if (geo.group == 1 && geo.oc >= 2) {
    ConvGeometry first = geo;
    first.oc = conv_channel_split_point(geo);
    t.channel_split_params_bytes = conv_params_bytes(first);
    t.channel_split_cheaper = [geo, &n](const isa::HwParams& hw, uint64_t work) {
      return conv_channel_split_cheaper(n, geo, hw, work);
    };
  }
  return t;
}

uint64_t conv_min_work(const Graph& g, const Node& n, const isa::HwParams& hw) {
  const ConvGeometry geo = conv_geometry(g, n);
  return conv_sram(geo, smallest_schedule(geo, hw)).total;
}

LayerCode plan_conv(const LayerEnv& e) {
  if (e.split == FusedSplit::kChannels) return plan_conv_channel_split(e);
  const Node& q = e.node;
  const ConvGeometry geo = conv_geometry(e.g, q);
  const bool params_resident = e.residency && e.residency->params[0].has_value();
  const bool in_sram = e.resident(q.inputs[0]);
  const bool out_sram = e.resident(q.outputs[0]) && geo.out_elem == 1;
  const int64_t rows = (geo.oh + e.slots - 1) / e.slots;
  const ConvChoice choice =
      choose_conv_schedule(q, geo, e.work_bytes, params_resident, in_sram, out_sram, rows, e.hw);
  if (!choice.found)
    throw CompileError(q.describe() + ": internal error: no schedule fits " +
                       std::to_string(e.work_bytes) + " bytes of working SRAM");
  const ConvSchedule sch = choice.schedule;
  const ConvSram sram = conv_sram(geo, sch);
  const ConvParams params = append_conv_params(e.g, q, sch.ib, e.blob);
  ConvOperands ops[2];
  for (int slot = 0; slot < 2; ++slot) {
    if (!in_sram) ops[slot].x = e.at(q.inputs[0]);
    if (!out_sram) ops[slot].y = e.at(q.outputs[0]);
    ops[slot].x_sram = in_sram ? e.held(q.inputs[0], slot) : nullptr;
    ops[slot].y_sram = out_sram ? e.held(q.outputs[0], slot) : nullptr;
    if (params_resident && e.residency->params[slot])
      ops[slot].params_sram = *e.residency->params[slot];
  }
  LayerCode code;
  code.units = geo.oh;
  code.sram = sram.total;
  code.summary = q.describe() + ": " + describe_conv_schedule(geo, sch, rows, sram.total);
  if (params_resident)
    for (int slot = 0; slot < e.slots; ++slot)
      code.params[slot] = std::pair{params.offset, params.bytes};
  code.emit = [=, &q](Streams& s, int slot, uint64_t base, int64_t begin, int64_t end) {
    if (begin >= end) return;
    emit_conv(s, q, geo, sch, sram, params, ops[slot], slot, base, begin, end);
  };
  return code;
}

}  // namespace npusim::compiler::codegen

namespace npusim::compiler::npu_ops {

// The compiler side of npu_ops/conv.hpp: its code generator and the ONNX ops lowered to it.
void register_compiler_conv(NpuOpTable& t) {
  using namespace codegen;
  const Family family{conv_unsupported, plan_conv, conv_traits, conv_min_work};
  t.add_family("QConv", family);
  t.add_lowering({"Conv", "QLinearConv", "ConvInteger"}, lowering::match_conv);
  t.add_lowering({"MatMulInteger"}, lowering::match_matmul_integer);
  t.add_lowering({"QLinearMatMul"}, lowering::match_qlinear_matmul);
  t.add_lowering({"Gemm", "MatMul"}, lowering::match_gemm);
  t.add_lowering({"ConvTranspose"}, lowering::match_conv_transpose);
}

}  // namespace npusim::compiler::npu_ops
