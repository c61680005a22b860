#include "device_lane.hpp"

#include "copy_command.hpp"
#include "inject_word.hpp"
#include "npusim/isa/hw_params.hpp"

namespace npusim::runtime {

namespace reg = isa::reg;

namespace {
constexpr std::chrono::milliseconds kNoWait{0};
}  // namespace

DeviceLane::DeviceLane(driver::Device& device, const std::string& name,
                       const PlacedProgram& program, int slots)
    : device_(device), name_(name), program_(program), slot_busy_(slots, false) {
  context_ = device_.open(name, 3);
  clock_hz_ = uint64_t(device_.info().clock_mhz) * 1'000'000;
  try {
    for (const auto& [index, seg] : program_.segments()) {
      Area& a = areas_[index];
      if (seg.npu->scratch_bytes) a.scratch = device_.allocate(seg.npu->scratch_bytes);
      if (a.scratch) allocations_.push_back(a.scratch);
      for (int s = 0; s < slots; ++s) {
        a.io.push_back(device_.allocate(seg.npu->io_bytes));
        allocations_.push_back(a.io.back());
        a.host.emplace_back(seg.npu->io_bytes);
      }
      for (int s = 0; s < slots; ++s)
        a.iova.push_back(device_.register_host_buffer(a.host[s].data(), a.host[s].size()));
    }
  } catch (...) {
    for (auto& [index, a] : areas_)
      for (uint64_t iova : a.iova) device_.unregister_host_buffer(iova);
    for (uint64_t addr : allocations_) device_.release(addr);
    throw;
  }
}

DeviceLane::~DeviceLane() {
  try {
    context_.reset();
    for (auto& [index, a] : areas_)
      for (uint64_t iova : a.iova) device_.unregister_host_buffer(iova);
    for (uint64_t addr : allocations_) device_.release(addr);
  } catch (...) {  // never throw from a destructor
  }
}

int DeviceLane::acquire_slot() {
  for (size_t s = 0; s < slot_busy_.size(); ++s)
    if (!slot_busy_[s]) {
      slot_busy_[s] = true;
      return static_cast<int>(s);
    }
  return -1;
}

void DeviceLane::release_slot(int slot) {
  slot_busy_.at(slot) = false;
}

std::vector<uint8_t>& DeviceLane::staging(size_t segment, int slot) {
  return areas_.at(segment).host.at(slot);
}

LaneTickets DeviceLane::submit(size_t segment, int slot, uint64_t inject) {
  const PlacedSegment& seg = program_.segment(segment);
  const Area& a = areas_.at(segment);
  std::vector<reg::Command> h2d, d2h;
  for (const isa::TensorInfo& in : seg.inputs)
    h2d.push_back(copy_command(reg::CommandOp::kH2D, a.iova[slot] + in.io_offset,
                               a.io[slot] + in.io_offset, in.bytes()));
  for (const isa::TensorInfo& out : seg.outputs)
    d2h.push_back(copy_command(reg::CommandOp::kD2H, a.iova[slot] + out.io_offset,
                               a.io[slot] + out.io_offset, out.bytes()));
  reg::Command run{};
  run.op = static_cast<uint32_t>(reg::CommandOp::kRun);
  run.a = seg.table;
  run.base[isa::kBaseWeights] = seg.weights;
  run.base[isa::kBaseScratch] = a.scratch;
  run.base[isa::kBaseIo] = a.io[slot];
  place_inject_word(inject, run, h2d, d2h);

  LaneTickets t;
  t.reset_count = device_.reset_count();
  for (const reg::Command& c : h2d) t.h2d.push_back(context_->submit(c, kH2D));
  reg::Command none{};  // a NOP keeps the queue's sequence when there is nothing to wait for
  t.run_wait =
      context_->submit(t.h2d.empty() ? none : context_->wait_for(kH2D, t.h2d.back()), kRun);
  t.run = context_->submit(run, kRun);
  t.d2h_wait = context_->submit(context_->wait_for(kRun, t.run), kD2H);
  for (const reg::Command& c : d2h) t.d2h.push_back(context_->submit(c, kD2H));
  return t;
}

bool DeviceLane::dropped(const LaneTickets& t) const {
  return device_.reset_count() != t.reset_count;
}

bool DeviceLane::finished(const LaneTickets& t) {
  if (dropped(t)) return false;
  return t.d2h.empty() ? context_->completed(t.d2h_wait, kD2H)
                       : context_->completed(t.d2h.back(), kD2H);
}

uint64_t DeviceLane::to_ps(uint64_t cycles) const {
  return cycles * isa::clock_period_ps(clock_hz_);
}

LaneTiming DeviceLane::collect(const LaneTickets& t) {
  // Every completion is taken (so none lingers), then the first failure rethrown.
  std::exception_ptr failure;
  auto take = [&](uint32_t seq, int q) -> reg::Completion {
    try {
      return context_->wait(seq, kNoWait, q);
    } catch (...) {
      if (!failure) failure = std::current_exception();
      return {};
    }
  };
  LaneTiming timing;
  bool first = true;
  for (uint32_t s : t.h2d) {
    const reg::Completion c = take(s, kH2D);
    if (first) timing.h2d_start = to_ps(c.start_cycle);
    first = false;
    timing.h2d_end = to_ps(c.end_cycle);
  }
  take(t.run_wait, kRun);
  const reg::Completion run = take(t.run, kRun);
  timing.run_start = to_ps(run.start_cycle);
  timing.run_end = to_ps(run.end_cycle);
  if (t.h2d.empty()) timing.h2d_start = timing.h2d_end = timing.run_start;
  take(t.d2h_wait, kD2H);
  first = true;
  for (uint32_t s : t.d2h) {
    const reg::Completion c = take(s, kD2H);
    if (first) timing.d2h_start = to_ps(c.start_cycle);
    first = false;
    timing.d2h_end = to_ps(c.end_cycle);
  }
  if (failure) std::rethrow_exception(failure);
  return timing;
}

}  // namespace npusim::runtime
