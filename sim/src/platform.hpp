// The whole simulated device: host link, command processor, DRAM and PEs,
// wired with TLM-2.0 sockets; the register file and the interrupt line.
#pragma once

#include <memory>
#include <systemc>
#include <vector>

#include "command_processor.hpp"
#include "device_context.hpp"
#include "dram.hpp"
#include "fault_injector.hpp"
#include "host_link.hpp"
#include "pe.hpp"
#include "trace_unit.hpp"

namespace npusim::sim {

class Platform : public sc_core::sc_module {
 public:
  explicit Platform(sc_core::sc_module_name name);

  DeviceContext ctx;
  Dram dram;
  TraceUnit trace{dram};
  HostLink host_link;
  std::vector<std::unique_ptr<Pe>> pes;
  std::unique_ptr<CommandProcessor> cp;
  FaultInjector injector;  // INJECT_* registers; shared by the PEs and the command processor
  // The PEs' kernels on host threads (functional mode; kernel_offload.hpp),
  // set by configure(). Declared after the PEs so that it is destroyed first,
  // letting running kernels finish before SRAM goes.
  KernelOffload offload{KernelOffload::Mode::kInline};

  // Attaches (or with null, detaches) an instruction observer to every PE.
  void observe(std::shared_ptr<InstructionObserver> observer, bool values);

  // Applies new parameters and resets the device (only while idle).
  void configure(const isa::HwParams& hw, bool functional);
  void reset();

  uint32_t read_register(uint32_t offset);
  void write_register(uint32_t offset, uint32_t value);
  bool irq_line() const { return (irq_status_ & irq_mask_) != 0; }
  // While set, the kernel pauses when the interrupt line rises (the host waits for it).
  bool pause_on_irq = false;

 private:
  void raise_irq(uint32_t bits);
  void latch_error(const TaskError& e, int queue);
  void bad_register(uint32_t offset);
  uint32_t read_queue_register(int q, uint32_t reg, bool& ok);
  bool write_queue_register(int q, uint32_t reg, uint32_t value);
  uint32_t read_pe_register(int pe, uint32_t reg, bool& ok);
  uint32_t split64(uint64_t v, bool high);

  std::shared_ptr<InstructionObserver> observer_;
  uint32_t irq_status_ = 0, irq_mask_ = 0;
  uint32_t user_irq_code_ = 0;
  TaskError error_;
  int error_queue_ = 0;
  uint32_t latched_hi_ = 0;
};

inline constexpr uint32_t kIrqError = 1u << 31;
inline constexpr uint32_t kIrqUser = 1u << 30;

}  // namespace npusim::sim
