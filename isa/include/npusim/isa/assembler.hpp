// Text assembler and disassembler (syntax in docs/isa.md). They round-trip
// exactly: assemble(disassemble(p)) == p.
#pragma once

#include <string>

#include "npusim/isa/program.hpp"

namespace npusim::isa {

// Assembles program text into a Program with one NPU segment.
// Throws IsaError naming `origin`, the line and the reason.
Program assemble(const std::string& text, const std::string& origin = "<text>");

// One instruction as text, e.g. "sem.signal sem=3 target=0".
std::string disassemble(const Instruction& in);

// A whole program (its first NPU segment) as assembly text.
std::string disassemble(const Program& p);

}  // namespace npusim::isa
