// Internal: what an opcode's verifier rules (its descriptor's `shape` and
// `rules`, op_descriptor.hpp) work with: the issues they report and the
// checks they ask of the verifier (docs/isa.md, "Verification").
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "npusim/isa/instruction.hpp"

namespace npusim::isa::verify_detail {

// A problem with one field of an instruction: the field and the reason.
struct Issue {
  Field field;
  std::string message;
};

// Appends an issue for each of `fields` whose value is below 1.
void at_least_1(const Instruction& in, std::initializer_list<Field> fields,
                std::vector<Issue>& out);

// Shape problems of an instruction (its descriptor's shape rules); empty if
// its shape is valid, the precondition of kernels::accesses(). DMA and
// control opcodes have none.
std::vector<Issue> shape_issues(const Instruction& in);

// The verifier as an opcode's context rules see it: the instruction being
// checked is known to it (segment, slot, engine, index), so a rule only names
// the field. Implemented in verifier.cpp.
class Checker {
 public:
  virtual void report(Field field, const std::string& message) = 0;
  // Reports a range outside the executing slot's own SRAM.
  virtual void check_sram(Field field, uint64_t begin, uint64_t end) = 0;
  // Reports a range outside the DRAM window of base register `base`.
  virtual void check_dram(uint64_t base, uint64_t off, uint64_t extent) = 0;
  virtual int num_semaphores() const = 0;
  virtual bool fused() const = 0;
  // Counts a wait on / a signal to semaphore `sem` for the balance check;
  // `other_pe` aims the signal at the other slot (fused mode).
  virtual void count_wait(uint64_t sem) = 0;
  virtual void count_signal(uint64_t sem, bool other_pe) = 0;

 protected:
  ~Checker() = default;
};

}  // namespace npusim::isa::verify_detail
