// Choosing a QConv schedule (conv_codegen.hpp), and the QConv family's
// entry points. Every candidate that fits the working area is emitted into
// scratch streams and priced by replaying them (estimate.hpp); the cheapest
// wins, and DRAM bytes break ties.
#include <algorithm>
#include <set>
#include <sstream>

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

// Past a few pixel groups the groups repeat, so the first ones are priced
// and the rest extrapolated: pricing stays cheap for layers of hundreds of
// groups.
Cost price(const Node& q, const ConvGeometry& g, const ConvSchedule& s, int64_t rows,
           const isa::HwParams& hw) {
  constexpr int64_t kPricedGroups = 4;
  const int64_t col_groups = (g.ow + s.cols - 1) / s.cols;
  const int64_t row_groups = std::max<int64_t>(1, kPricedGroups / col_groups);
  const int64_t priced = std::min(rows, row_groups * s.rows);
  ConvGeometry one = g;  // one image
  one.n = 1;
  Cost c = price_rows(q, one, s, priced, hw);
  const double scale = double(g.n) * double(rows) / double(priced);
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

// Output-channel blocks: every channel, or whole multiples of the array's
// columns (the matrix unit's passes do not grow); input-channel blocks:
// every channel, or halves, quarters, eighths. Grouped convolutions keep both whole.
std::vector<int64_t> output_blocks(const ConvGeometry& g, const isa::HwParams& hw, bool small) {
  std::set<int64_t> out = {g.oc};
  if (g.group != 1) return {g.oc};
  for (int64_t b = hw.array_cols; b < g.oc; b *= 2) out.insert(b);
  if (small)
    for (int64_t b = std::min<int64_t>(g.oc, hw.array_cols); b >= 1; b /= 2) out.insert(b);
  return {out.rbegin(), out.rend()};
}

std::vector<int64_t> input_blocks(const ConvGeometry& g, bool small) {
  std::set<int64_t> out = {g.c};
  if (g.group != 1) return {g.c};
  for (int64_t d = 2; d <= (small ? g.c : 8); d *= 2) out.insert((g.c + d - 1) / d);
  return {out.rbegin(), out.rend()};
}

std::string describe(const ConvGeometry& g, const ConvSchedule& s, int64_t rows, uint64_t sram) {
  std::ostringstream o;
  const int64_t groups = g.n * ((rows + s.rows - 1) / s.rows) * ((g.ow + s.cols - 1) / s.cols);
  o << groups << (groups == 1 ? " tile" : " tiles") << " of " << s.rows << "x" << s.cols
    << " pixels";
  if (s.ob < g.oc) o << ", " << s.ob << "-channel output blocks";
  if (s.ib < g.c) o << ", " << s.ib << "-channel input blocks";
  o << ", weights "
    << (s.weights == WeightsAt::kResident  ? "resident"
        : s.weights == WeightsAt::kWorkAll ? "loaded once"
                                           : "by output block")
    << (s.order == LoopOrder::kWeightsOuter ? ", weights outer" : "");
  o << "; input " << (s.in_sram ? "in SRAM" : "from DRAM") << ", output "
    << (s.out_sram ? "in SRAM" : "to DRAM") << "; " << sram << " bytes of working SRAM";
  return o.str();
}

}  // namespace

ConvChoice choose_conv_schedule(const Node& q, const ConvGeometry& g, uint64_t work,
                                bool params_resident, bool in_sram, bool out_sram, int64_t rows,
                                const isa::HwParams& hw) {
  ConvChoice best;
  Cost best_cost;
  rows = std::max<int64_t>(1, rows);
  auto consider = [&](ConvSchedule s) {
    // Full-width rows when one fits, else the widest column tile.
    auto fits = [&](const ConvSchedule& t) { return conv_sram(g, t).total <= work; };
    s.cols = g.ow;
    s.rows = 1;
    if (!fits(s)) {
      s.cols = largest(g.ow, [&](int64_t c) {
        ConvSchedule t = s;
        t.cols = c;
        return fits(t);
      });
      if (s.cols == 0) return;
    } else {
      s.rows = largest(rows, [&](int64_t r) {
        ConvSchedule t = s;
        t.rows = r;
        return fits(t);
      });
    }
    std::vector<int64_t> tiles = {s.rows};
    const bool streamed = !in_sram || !out_sram;  // smaller groups overlap DMA with compute
    if (streamed && s.rows >= 8 && s.cols == g.ow) tiles.push_back((s.rows + 3) / 4);
    for (const int64_t t : tiles) {
      ConvSchedule c = s;
      c.rows = t;
      const Cost cost = price(q, g, c, rows, hw);
      if (!best.found || cost < best_cost) {
        best = {c, cost.cycles, cost.dram, true};
        best_cost = cost;
      }
    }
  };
  for (const bool small : {false, true}) {
    for (const int64_t ob : output_blocks(g, hw, small))
      for (const int64_t ib : input_blocks(g, small)) {
        ConvSchedule s;
        s.ob = ob;
        s.ib = ib;
        s.in_sram = in_sram;
        s.out_sram = out_sram && g.out_elem == 1;
        if (params_resident) {
          s.weights = WeightsAt::kResident;
          consider(s);
          continue;
        }
        s.weights = WeightsAt::kWorkAll;
        consider(s);
        if (ob < g.oc) {
          s.weights = WeightsAt::kWorkBlock;
          consider(s);
          s.order = LoopOrder::kWeightsOuter;
          consider(s);
        }
      }
    if (best.found) break;  // the smallest blocks only when nothing else fits
  }
  return best;
}

namespace {

// The schedule with the least working area: one output pixel per tile, the
// array's width of output channels and its height of reduction per block
// (single channels for grouped convolutions, whose blocks stay whole).
ConvSchedule smallest_schedule(const ConvGeometry& g, const isa::HwParams& hw) {
  ConvSchedule s;
  s.rows = s.cols = 1;
  if (g.group != 1) {
    s.ob = g.oc;
    s.ib = g.c;
    s.weights = WeightsAt::kWorkAll;
    return s;
  }
  s.ob = std::min<int64_t>(g.oc, hw.array_cols);
  s.ib = std::min<int64_t>(g.c, std::max<int64_t>(1, hw.array_rows / (g.kh * g.kw)));
  s.weights = s.ob < g.oc ? WeightsAt::kWorkBlock : WeightsAt::kWorkAll;
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
  return t;
}

uint64_t conv_min_work(const Graph& g, const Node& n, const isa::HwParams& hw) {
  const ConvGeometry geo = conv_geometry(g, n);
  return conv_sram(geo, smallest_schedule(geo, hw)).total;
}

LayerCode plan_conv(const LayerEnv& e) {
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
  code.summary = q.describe() + ": " + describe(geo, sch, rows, sram.total);
  if (params_resident) code.params = std::pair{params.offset, params.bytes};
  code.emit = [=, &q](Streams& s, int slot, uint64_t base, int64_t begin, int64_t end) {
    if (begin >= end) return;
    emit_conv(s, q, geo, sch, sram, params, ops[slot], slot, base, begin, end);
  };
  return code;
}

}  // namespace npusim::compiler::codegen
