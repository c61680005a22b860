// The synchronisation and control instructions' descriptors: the simulator's
// engines carry them out (sim/), so isa/ holds only their verifier rules
// (docs/isa.md, "Verification", Semaphores).
#include <string>

#include "op_descriptor.hpp"

namespace npusim::isa::ops {
namespace {

using F = Field;
using verify_detail::Checker;

bool semaphore_exists(uint64_t sem, Checker& c) {
  if (sem < static_cast<uint64_t>(c.num_semaphores())) return true;
  c.report(F::kSem, "semaphore " + std::to_string(sem) + " does not exist (num_semaphores=" +
                        std::to_string(c.num_semaphores()) + ")");
  return false;
}

void wait_rules(const Instruction& in, Checker& c) {
  const uint64_t sem = in.u(F::kSem);
  if (semaphore_exists(sem, c)) c.count_wait(sem);
}

// target = 1 signals the other PE of a fused pair.
void signal_rules(const Instruction& in, Checker& c) {
  const uint64_t sem = in.u(F::kSem);
  if (!semaphore_exists(sem, c)) return;
  const bool other = in[F::kTarget] == 1;
  if (other && !c.fused())
    return c.report(F::kTarget, "target=1 (the other PE) is only valid in fused mode");
  c.count_signal(sem, other);
}

}  // namespace

constinit const OpDescriptor kSemWaitOp{
    .opcode = Opcode::kSemWait, .unit = Unit::kControl, .rules = wait_rules};
constinit const OpDescriptor kSemSignalOp{
    .opcode = Opcode::kSemSignal, .unit = Unit::kControl, .rules = signal_rules};
constinit const OpDescriptor kIrqOp{.opcode = Opcode::kIrq, .unit = Unit::kControl};
constinit const OpDescriptor kEndOp{.opcode = Opcode::kEnd, .unit = Unit::kControl};

}  // namespace npusim::isa::ops
