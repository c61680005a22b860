// The RUN command: load a program's streams, start them on the queue's PEs
// and supervise them (the watchdog catches semaphore deadlocks).
#include <bit>

#include "command_processor.hpp"
#include "watchdog.hpp"

namespace npusim::sim {

using isa::reg::ErrorCode;

ErrorCode CommandProcessor::load_streams(Task& task, const isa::reg::ProgramTable& table,
                                         uint32_t& info) {
  for (int slot = 0; slot < task.num_slots; ++slot) {
    for (int e = 0; e < isa::kNumEngines; ++e) {
      const isa::reg::StreamRef& ref = table.streams[slot][e];
      if (ref.words == 0) continue;
      words_.resize(ref.words);
      if (!read_dram(ref.addr, words_.data(), words_.size() * 4)) {
        task.error = {ErrorCode::kBadProgram, 0, task.pes[slot], e, ref.addr};
        return ErrorCode::kBadProgram;
      }
      task.code[slot][e] = streams_.find(ref.addr, words_);
      if (task.code[slot][e]) continue;
      auto code = std::make_shared<DecodedStream>();
      for (size_t pos = 0; pos < words_.size();) {
        isa::Instruction in;
        try {
          pos += isa::decode_one(words_, pos, in, code->size());
        } catch (const isa::IsaError&) {
          info = static_cast<uint32_t>(code->size());
          task.error = {ErrorCode::kIllegalInstruction, info, task.pes[slot], e,
                        ref.addr + pos * 4};
          return ErrorCode::kIllegalInstruction;
        }
        code->push_back(in);
      }
      streams_.insert(ref.addr, words_, code);
      task.code[slot][e] = std::move(code);
    }
  }
  return ErrorCode::kNone;
}

void CommandProcessor::supervise(Task& task) {
  running_[task.queue] = &task;
  uint64_t last = task.retired;
  while (task.running > 0) {
    sc_core::wait(ctx_.cycles(ctx_.hw.watchdog_cycles), task.done);
    if (task.running == 0) break;
    // No instruction retired for a whole period and every live engine waits
    // on a semaphore (or is stuck): nothing can ever move them.
    if (task.retired == last && task.blocked == task.running && !task.abort.raised)
      task.fail(watchdog_error(
          task, any_stuck(task) ? ErrorCode::kWatchdogTimeout : ErrorCode::kSemaphoreDeadlock));
    last = task.retired;
  }
  running_[task.queue] = nullptr;
}

ErrorCode CommandProcessor::run_program(int q, const isa::reg::Command& cmd, uint32_t& info) {
  isa::reg::ProgramTable table{};
  if (!read_dram(cmd.a, &table, sizeof table) || table.magic != isa::reg::kProgramTableMagic ||
      table.num_slots < 1 || table.num_slots > 2) {
    hooks_.error({ErrorCode::kBadProgram, info, 0, 0xFF, cmd.a}, q);
    return ErrorCode::kBadProgram;
  }
  if (injected_ != ErrorCode::kNone) {  // an armed ERROR_INJECT fault
    const ErrorCode code = injected_;
    injected_ = ErrorCode::kNone;
    hooks_.error({code, 0, std::countr_zero(queues[q].pe_mask), 0xFF, cmd.a}, q);
    return code;
  }
  Task task;
  task.queue = q;
  task.tag = cmd.tag;
  task.seq = tasks_started_++;
  task.program = cmd.a;
  task.num_slots = static_cast<int>(table.num_slots);
  task.inject = static_cast<isa::reg::FaultKind>(cmd.b & 0xFF);  // the RUN's inject word
  task.inject_after = cmd.b >> 8;
  for (int i = 0; i < 4; ++i) task.base[i] = cmd.base[i];
  uint32_t mask = queues[q].pe_mask & ((1u << ctx_.hw.num_pes) - 1);
  if (std::popcount(mask) < task.num_slots) {
    hooks_.error({ErrorCode::kBadCommand, info, 0, 0xFF, queues[q].pe_mask}, q);
    return ErrorCode::kBadCommand;
  }
  for (int slot = 0; slot < task.num_slots; ++slot) {
    task.pes[slot] = std::countr_zero(mask);
    mask &= mask - 1;
  }
  if (load_streams(task, table, info) != ErrorCode::kNone) {
    hooks_.error(task.error, q);
    return task.error.code;
  }
  const uint64_t generation = generation_;
  for (int slot = 0; slot < task.num_slots; ++slot) {
    Pe* pe = pes_[task.pes[slot]];
    while (pe->busy) {
      sc_core::wait(pe->freed | reset_event_);
      if (stale(generation)) return ErrorCode::kNone;
    }
    pe->busy = true;
  }
  for (int slot = 0; slot < task.num_slots; ++slot) {
    pes_[task.pes[slot]]->counters.task_begin(sc_core::sc_time_stamp());
    pes_[task.pes[slot]]->start(task, slot);
  }
  supervise(task);
  for (int slot = 0; slot < task.num_slots; ++slot) {
    Pe* pe = pes_[task.pes[slot]];
    if (!stale(generation)) pe->counters.task_end(sc_core::sc_time_stamp());
    pe->busy = false;
    pe->freed.notify(sc_core::SC_ZERO_TIME);
  }
  if (stale(generation)) return ErrorCode::kNone;
  if (task.error.code != ErrorCode::kNone) {
    info = task.error.info;
    hooks_.error(task.error, q);
  }
  return task.error.code;
}

}  // namespace npusim::sim
