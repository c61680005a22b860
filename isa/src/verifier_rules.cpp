// The shared parts of the opcodes' verifier rules (docs/isa.md,
// "Verification"); the rules themselves are in each opcode's descriptor.
#include "verifier_rules.hpp"

#include "op_descriptor.hpp"

namespace npusim::isa::verify_detail {

void at_least_1(const Instruction& in, std::initializer_list<Field> fields,
                std::vector<Issue>& out) {
  for (Field f : fields)
    if (in[f] < 1)
      out.push_back(
          {f, std::string(field_name(f)) + " must be >= 1 (got " + std::to_string(in[f]) + ")"});
}

std::vector<Issue> shape_issues(const Instruction& in) {
  std::vector<Issue> out;
  const ops::OpDescriptor* d = ops::find(in.op);
  if (d && d->shape) d->shape(in, out);
  return out;
}

}  // namespace npusim::isa::verify_detail

namespace npusim::isa {

std::string shape_problem(const Instruction& in) {
  const std::vector<verify_detail::Issue> issues = verify_detail::shape_issues(in);
  if (issues.empty()) return "";
  return std::string(field_name(issues.front().field)) + ": " + issues.front().message;
}

}  // namespace npusim::isa
