#include "platform.hpp"

namespace npusim::sim {

Platform::Platform(sc_core::sc_module_name name)
    : sc_module(name),
      dram("dram", ctx),
      host_link("host_link", ctx,
                RegisterFile{[this](uint32_t o) { return read_register(o); },
                             [this](uint32_t o, uint32_t v) { write_register(o, v); }}) {
  std::vector<Pe*> raw;
  for (int p = 0; p < isa::reg::kMaxPes; ++p) {
    pes.push_back(std::make_unique<Pe>(("pe" + std::to_string(p)).c_str(), p, ctx));
    raw.push_back(pes.back().get());
    pes.back()->load_dma.dram.bind(dram.socket);
    pes.back()->load_dma.host.bind(host_link.host_memory);
    pes.back()->store_dma.dram.bind(dram.socket);
    pes.back()->store_dma.host.bind(host_link.host_memory);
    pes.back()->set_trace(&trace);
    pes.back()->set_injector(&injector);
    pes.back()->set_offload(&offload);
    pes.back()->set_user_irq([this](uint32_t code) {
      user_irq_code_ = code;
      raise_irq(kIrqUser);
    });
  }
  for (auto& pe : pes) pe->set_peers(raw);
  cp = std::make_unique<CommandProcessor>(
      "command_processor", ctx, raw,
      CommandProcessorHooks{[this](const TaskError& e, int q) { latch_error(e, q); },
                            [this](int q) { raise_irq(1u << q); }});
  cp->set_injector(&injector);
  for (auto& port : cp->ports) {
    port->dram.bind(dram.socket);
    port->host.bind(host_link.host_memory);
  }
}

void Platform::observe(std::shared_ptr<InstructionObserver> observer, bool values) {
  observer_ = std::move(observer);
  for (auto& pe : pes) pe->set_observer(observer_.get(), values, &dram);
}

void Platform::configure(const isa::HwParams& hw, bool functional) {
  // First: a bad NPUSIM_KERNEL_THREADS throws before anything changes.
  offload.set_mode(KernelOffload::mode_from_environment());
  ctx.hw = hw;
  ctx.functional = functional;
  dram.reset();
  reset();
}

void Platform::reset() {
  cp->reset();
  for (auto& pe : pes) pe->reset();
  host_link.reset();
  trace.reset();
  injector.reset();
  irq_status_ = 0;
  irq_mask_ = 0;
  user_irq_code_ = 0;
  error_ = TaskError{};
  error_queue_ = 0;
}

void Platform::raise_irq(uint32_t bits) {
  irq_status_ |= bits;
  if (pause_on_irq && irq_line()) sc_core::sc_pause();
}

void Platform::latch_error(const TaskError& e, int queue) {
  if (error_.code == isa::reg::ErrorCode::kNone) {
    error_ = e;
    error_queue_ = queue;
  }
  raise_irq(kIrqError);
}

void Platform::bad_register(uint32_t offset) {
  latch_error({isa::reg::ErrorCode::kBadRegister, offset, 0, 0xFF, offset}, 0xFF);
}

}  // namespace npusim::sim
