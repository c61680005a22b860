// The instruction trace's lines and file (instruction_trace.hpp).
#include "npusim/debug/instruction_trace.hpp"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "npusim/common/files.hpp"
#include "npusim/isa/assembler.hpp"
#include "npusim/sim/in_process_device.hpp"

namespace npusim::debug {
namespace {

std::string hex(uint64_t v, bool pad) {
  char buf[24];
  std::snprintf(buf, sizeof buf, pad ? "%016llx" : "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string where(const sim::InstructionEvent& e) {
  using sim::WriteSpace;
  std::string s;
  switch (e.space) {
    case WriteSpace::kSram:
      s = "sram:";
      break;
    case WriteSpace::kDram:
      s = "dram" + std::to_string(e.write_base) + ":";
      break;
    case WriteSpace::kHost:
      s = "host" + std::to_string(e.write_base) + ":";
      break;
    case WriteSpace::kNone:
      return "";
  }
  return s + hex(e.write_address, false) + "+" + std::to_string(e.write_bytes);
}

}  // namespace

void InstructionTrace::on_instruction(const sim::InstructionEvent& e) {
  const std::string engine(isa::engine_name(e.engine));
  std::string s = "{\"task\":" + std::to_string(e.task) + ",\"slot\":" + std::to_string(e.slot) +
                  ",\"engine\":\"" + engine + "\",\"index\":" + std::to_string(e.index) +
                  ",\"pe\":" + std::to_string(e.pe) +
                  ",\"start\":" + std::to_string(e.start_cycle) +
                  ",\"end\":" + std::to_string(e.end_cycle) +
                  ",\"asm\":" + nlohmann::json(isa::disassemble(*e.instruction)).dump();
  if (e.space != sim::WriteSpace::kNone)
    s += ",\"write\":\"" + where(e) + "\",\"checksum\":\"" + hex(e.checksum, true) + "\"";
  s += "}\n";
  lines_.push_back({e.task, e.slot, static_cast<int>(e.engine), e.index, std::move(s)});
}

std::string InstructionTrace::text() const {
  std::vector<const Line*> order;
  order.reserve(lines_.size());
  for (const Line& l : lines_) order.push_back(&l);
  std::stable_sort(order.begin(), order.end(), [](const Line* a, const Line* b) {
    return std::tie(a->task, a->slot, a->engine, a->index) <
           std::tie(b->task, b->slot, b->engine, b->index);
  });
  std::string out;
  for (const Line* l : order) out += l->text;
  return out;
}

void InstructionTrace::write(const std::string& path) const {
  files::write_file(path, text());
}

TraceRecording::TraceRecording(std::string path, bool values)
    : path_(std::move(path)), trace_(std::make_shared<InstructionTrace>()) {
  files::check_writable(path_);  // before the run, not after it
  sim::observe_instructions(trace_, values);
}

TraceRecording::~TraceRecording() {
  if (finished_) return;
  try {
    finish();
  } catch (...) {  // already failing: the run's own error is the one to report
  }
}

size_t TraceRecording::finish() {
  finished_ = true;
  sim::observe_instructions(nullptr);
  trace_->write(path_);
  return trace_->size();
}

}  // namespace npusim::debug
