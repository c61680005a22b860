// Static verification of a program before it reaches the device: bad
// opcodes, fields out of range, SRAM/DRAM/host addresses outside their
// spaces, instructions on the wrong engine, semaphore misuse, missing end.
#pragma once

#include <string>
#include <vector>

#include "npusim/isa/program.hpp"

namespace npusim::isa {

struct Diagnostic {
  std::string segment;  // segment name
  int slot = 0;         // PE slot (-1: not about one stream, e.g. the I/O table)
  Engine engine = Engine::kLoad;
  long index = -1;    // instruction index in the stream (-1: whole stream)
  std::string field;  // offending field, if any
  std::string message;
  std::string to_string() const;
};

// Returns every problem found (empty = the program is valid for `hw`).
std::vector<Diagnostic> verify(const Program& p, const HwParams& hw);

// The first shape problem of a compute instruction ("field: reason"), or ""
// if the unit can execute it. The device checks this at run time too.
std::string shape_problem(const Instruction& in);

// Throws ProgramError with the first diagnostic if there is any.
void verify_or_throw(const Program& p, const HwParams& hw);

}  // namespace npusim::isa
