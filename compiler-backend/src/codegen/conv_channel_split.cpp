// Fused mode's output-channel split of a QConv (FusedSplit::kChannels): PE0
// computes output channels [0, c0) of every row, PE1 [c0, oc), each from the
// whole input (read from DRAM) with only its own channels' weights, biases
// and multipliers, and each stores its channels into the output's DRAM copy
// (the segment planner makes readers wait for both PEs). For layers the
// rows share badly: one output row (a Gemm on one row, a convolution on a
// 1x1 image), which the row split leaves on the first PE, or a few rows
// under many weights, which each PE of a row split loads whole.
#include <algorithm>
#include <sstream>

#include "conv_codegen.hpp"
#include "estimate.hpp"

namespace npusim::compiler::codegen {

int64_t conv_channel_split_point(const ConvGeometry& g) {
  // The busier PE makes ceil(oc / (2 * array columns)) weight passes per
  // pixel group whether c0 is a multiple of the columns or not, so halves.
  return (g.oc + 1) / 2;
}

namespace {

// A share's cycles when both PEs run a share like it: their DMA shares the
// DRAM channel.
uint64_t shared_dram_cycles(const ConvChoice& c) {
  return std::max(c.cycles, 2 * c.dram_bytes / kNominalBytesPerCycle);
}

}  // namespace

bool conv_channel_split_cheaper(const Node& q, const ConvGeometry& g, const isa::HwParams& hw,
                                uint64_t work) {
  // Below the array's columns every share makes as many weight passes as
  // the whole layer: halving the channels cannot pay for the exchange.
  if (g.group != 1 || g.oc <= hw.array_cols) return false;
  ConvGeometry first = g;
  first.oc = conv_channel_split_point(g);
  const ConvChoice channels = choose_conv_schedule(q, first, work, false, false, false, g.oh, hw);
  if (!channels.found) return false;
  // What the split adds: the second PE loads the input and stores its
  // channels, and neither stays in SRAM, where the rows' input and output
  // may (priced so: the split must win against the rows at their best).
  const uint64_t split = shared_dram_cycles(channels) + 2 * uint64_t(hw.dma_setup_cycles);
  const bool out_sram = g.out_elem == 1;
  if (g.oh < 2) {
    const ConvChoice alone = choose_conv_schedule(q, g, work, false, true, out_sram, g.oh, hw);
    return !alone.found || split < alone.cycles;
  }
  const ConvChoice rows =
      choose_conv_schedule(q, g, work, false, true, out_sram, (g.oh + 1) / 2, hw);
  return !rows.found || split < shared_dram_cycles(rows);
}

namespace {

// One PE's share: its channels, as a layer of that many output channels.
struct Slice {
  ChannelRange channels;
  ConvGeometry geo;
  ConvSchedule schedule;
  ConvSram sram;
  ConvParams params;
  ConvOperands ops;
};

Slice plan_slice(const LayerEnv& e, const ConvGeometry& geo, ChannelRange channels, int slot) {
  const Node& q = e.node;
  Slice s;
  s.channels = channels;
  s.geo = geo;
  s.geo.oc = channels.end - channels.begin;
  const bool params_resident = e.residency && e.residency->params[slot].has_value();
  const ConvChoice choice =
      choose_conv_schedule(q, s.geo, e.work_bytes, params_resident, false, false, geo.oh, e.hw);
  if (!choice.found)
    throw CompileError(q.describe() + ": internal error: no schedule of output channels " +
                       std::to_string(channels.begin) + ".." + std::to_string(channels.end) +
                       " fits " + std::to_string(e.work_bytes) + " bytes of working SRAM");
  s.schedule = choice.schedule;
  s.sram = conv_sram(s.geo, s.schedule);
  s.params = append_conv_params(e.g, q, s.schedule.ib, e.blob, channels);
  s.ops.x = e.at(q.inputs[0]);
  s.ops.y = e.at(q.outputs[0]);
  s.ops.y_channels = geo.oc;
  s.ops.y_channel0 = channels.begin;
  if (params_resident) s.ops.params_sram = *e.residency->params[slot];
  return s;
}

std::string summary(const Node& q, const ConvGeometry& geo, const Slice (&slices)[2]) {
  std::ostringstream o;
  o << q.describe() << ": ";
  for (int slot = 0; slot < 2; ++slot) {
    const Slice& s = slices[slot];
    o << (slot ? " | " : "") << "PE" << slot << " output channels [" << s.channels.begin << ", "
      << s.channels.end << "): " << describe_conv_schedule(s.geo, s.schedule, geo.oh, s.sram.total);
  }
  return o.str();
}

}  // namespace

LayerCode plan_conv_channel_split(const LayerEnv& e) {
  const Node& q = e.node;
  const ConvGeometry geo = conv_geometry(e.g, q);
  if (e.slots != 2 || geo.group != 1 || geo.oc < 2)
    throw CompileError(q.describe() +
                       ": internal error: an output-channel split needs two PEs "
                       "and an ungrouped layer of at least two output channels");
  const int64_t c0 = conv_channel_split_point(geo);
  const Slice slices[2] = {plan_slice(e, geo, {0, c0}, 0), plan_slice(e, geo, {c0, geo.oc}, 1)};
  LayerCode code;
  code.units = 2;  // the slices: the emitter gives unit k to slot k
  code.sram = std::max(slices[0].sram.total, slices[1].sram.total);
  code.summary = summary(q, geo, slices);
  for (int slot = 0; slot < 2; ++slot)
    if (slices[slot].schedule.weights == WeightsAt::kResident)
      code.params[slot] = std::pair{slices[slot].params.offset, slices[slot].params.bytes};
  code.emit = [slices, &q](Streams& s, int slot, uint64_t base, int64_t begin, int64_t end) {
    for (int64_t k = begin; k < end; ++k) {
      const Slice& sl = slices[k];
      emit_conv(s, q, sl.geo, sl.schedule, sl.sram, sl.params, sl.ops, slot, base, 0, sl.geo.oh);
    }
  };
  return code;
}

}  // namespace npusim::compiler::codegen
