#include "command_processor.hpp"

#include <spdlog/spdlog.h>

#include <cstring>

namespace npusim::sim {

using isa::reg::Command;
using isa::reg::CommandOp;
using isa::reg::Completion;
using isa::reg::ErrorCode;

CommandProcessor::CommandProcessor(sc_core::sc_module_name name, const DeviceContext& ctx,
                                   std::vector<Pe*> pes, CommandProcessorHooks hooks)
    : sc_module(name), ctx_(ctx), pes_(std::move(pes)), hooks_(std::move(hooks)) {
  for (int q = 0; q < isa::reg::kMaxQueues; ++q) {
    ports.push_back(std::make_unique<DmaPort>(("queue_dma_" + std::to_string(q)).c_str(), ctx));
    sc_core::sc_spawn_options opts;
    sc_core::sc_spawn([this, q] { queue_thread(q); }, ("queue_" + std::to_string(q)).c_str(),
                      &opts);
  }
}

void CommandProcessor::reset() {
  ++generation_;
  tasks_started_ = 0;
  for (int q = 0; q < isa::reg::kMaxQueues; ++q) {
    if (running_[q]) running_[q]->abort.raise();
    queue_abort_[q].raise();
    queues[q] = QueueState{};
  }
  streams_.clear();  // configure() may have changed what the words mean
  reset_event_.notify(sc_core::SC_ZERO_TIME);
}

bool CommandProcessor::read_dram(uint64_t addr, void* data, size_t len) {
  tlm::tlm_generic_payload trans;
  trans.set_command(tlm::TLM_READ_COMMAND);
  trans.set_address(addr);
  trans.set_data_ptr(static_cast<unsigned char*>(data));
  trans.set_data_length(static_cast<unsigned int>(len));
  trans.set_streaming_width(static_cast<unsigned int>(len));
  return ports[0]->dram->transport_dbg(trans) == len;
}

void CommandProcessor::queue_thread(int q) {
  for (;;) {
    const uint64_t generation = generation_;
    QueueState& s = queues[q];
    if (!(s.enabled && s.ring_size > 0 && s.head != s.tail)) {
      sc_core::wait(doorbell_[q] | reset_event_);
      continue;
    }
    Command cmd{};
    uint32_t info = s.head;
    const uint64_t slot_addr = s.ring + uint64_t(s.head % s.ring_size) * sizeof(Command);
    ++s.head;
    const uint64_t start = ctx_.to_cycles(sc_core::sc_time_stamp());
    ErrorCode status = ErrorCode::kBadCommand;
    if (read_dram(slot_addr, &cmd, sizeof cmd)) status = execute(q, cmd, info);
    if (stale(generation)) continue;  // the device was reset meanwhile: no completion
    if (status == ErrorCode::kBadCommand) hooks_.error({status, info, 0, 0xFF, slot_addr}, q);
    const Completion c{cmd.tag, static_cast<uint32_t>(status),
                       start,   ctx_.to_cycles(sc_core::sc_time_stamp()),
                       info,    0};
    if (!write_completion(q, c)) continue;
    ++s.done;
    queue_progress_.notify(sc_core::SC_ZERO_TIME);
    hooks_.completed(q);
  }
}

ErrorCode CommandProcessor::execute(int q, const Command& cmd, uint32_t& info) {
  queue_abort_[q].clear();
  switch (static_cast<CommandOp>(cmd.op)) {
    case CommandOp::kNop:
      return ErrorCode::kNone;
    case CommandOp::kRun:
      return run_program(q, cmd, info);
    case CommandOp::kWaitQueue: {
      if (cmd.a >= isa::reg::kMaxQueues) return ErrorCode::kBadCommand;
      const uint64_t generation = generation_;
      while (queues[cmd.a].done < cmd.b && !stale(generation))
        sc_core::wait(queue_progress_ | reset_event_);
      return ErrorCode::kNone;
    }
    case CommandOp::kH2D:
    case CommandOp::kD2H: {
      const bool h2d = static_cast<CommandOp>(cmd.op) == CommandOp::kH2D;
      if (injector_ && injector_->at_host_copy(cmd.base[0])) {  // an injected host link error
        hooks_.error({ErrorCode::kHostLinkError, info, 0, 0xFF, cmd.a}, q);
        return ErrorCode::kHostLinkError;
      }
      std::vector<Piece> pieces;
      const uint64_t burst = std::max<uint64_t>(1, ctx_.hw.dma_burst);
      for (uint64_t o = 0; o < cmd.len; o += burst)
        pieces.push_back({cmd.a + o, nullptr, cmd.b + o, std::min(burst, cmd.len - o)});
      const DmaResult r = ports[q]->move(h2d ? Route::kHostToDram : Route::kDramToHost, pieces,
                                         queue_abort_[q], ctx_.functional);
      if (r.ok) return ErrorCode::kNone;
      hooks_.error({ErrorCode::kAddressOutOfRange, info, 0, 0xFF, r.bad_address}, q);
      return ErrorCode::kAddressOutOfRange;
    }
  }
  return ErrorCode::kBadCommand;
}

bool CommandProcessor::write_completion(int q, const Completion& c) {
  const uint64_t generation = generation_;
  QueueState& s = queues[q];
  // The device stalls while the host has not consumed the ring.
  while (s.cpl_size > 0 && s.cpl_tail - s.cpl_head >= s.cpl_size) {
    sc_core::wait(doorbell_[q] | reset_event_);
    if (stale(generation)) return false;
  }
  if (s.cpl_size == 0) return true;  // the host asked for no completion records
  Completion record = c;
  const uint64_t iova = s.completions + uint64_t(s.cpl_tail % s.cpl_size) * sizeof(Completion);
  std::vector<Piece> piece{{iova, reinterpret_cast<uint8_t*>(&record), 0, sizeof record}};
  const DmaResult r = ports[q]->move(Route::kSramToHost, piece, queue_abort_[q], true);
  if (stale(generation)) return false;
  if (!r.ok) hooks_.error({ErrorCode::kAddressOutOfRange, c.error_info, 0, 0xFF, iova}, q);
  ++s.cpl_tail;
  return true;
}

}  // namespace npusim::sim
