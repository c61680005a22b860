// Internal: shape checks of compute instructions for the verifier (the
// rules of docs/isa.md, "Verification"), kept apart from the address and
// stream checks in verifier.cpp.
#pragma once

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

// Shape problems of a compute instruction; empty if its shape is valid (the
// precondition of kernels::accesses()). Non-compute opcodes have none.
std::vector<Issue> shape_issues(const Instruction& in);

}  // namespace npusim::isa::verify_detail
