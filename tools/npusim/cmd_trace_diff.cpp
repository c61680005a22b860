// npusim trace-diff A B: the first instruction at which two instruction
// traces (npusim exec/run --trace-instructions) differ (docs/debug.md).
#include <iostream>

#include "commands.hpp"
#include "npusim/debug/trace_diff.hpp"
#include "parse_options.hpp"

namespace po = boost::program_options;

namespace npusim::cli {
namespace {

using debug::TracedInstruction;

void print_side(const char* side, const std::optional<TracedInstruction>& t) {
  std::cout << "  " << side << "  ";
  if (!t) {
    std::cout << "(none)\n";
    return;
  }
  std::cout << t->assembly << "\n      pe " << t->pe << ", cycles " << t->start << "-" << t->end;
  if (!t->write.empty()) std::cout << ", wrote " << t->write << ", checksum " << t->checksum;
  std::cout << "\n";
}

void print_difference(const char* title, const debug::TraceDifference& d) {
  const TracedInstruction& at = d.a ? *d.a : *d.b;
  std::cout << title << at.key() << ": " << d.what << "\n";
  print_side("A", d.a);
  print_side("B", d.b);
}

bool has_checksums(const std::vector<TracedInstruction>& t) {
  for (const auto& i : t)
    if (!i.checksum.empty()) return true;
  return false;
}

}  // namespace

int cmd_trace_diff(const Args& args) {
  std::string a_path, b_path;
  bool cycles = false, exit_code = false;
  po::options_description desc("trace-diff options");
  desc.add_options()("a", po::value(&a_path)->required()->value_name("A"), "first trace")(
      "b", po::value(&b_path)->required()->value_name("B"), "second trace")(
      "cycles", po::bool_switch(&cycles), "count other start/end cycles as a difference")(
      "exit-code", po::bool_switch(&exit_code), "exit with 1 when the traces differ");
  po::positional_options_description pos;
  pos.add("a", 1).add("b", 1);
  parse_options(args, "npusim trace-diff A B [--cycles] [--exit-code]", desc, pos);

  const auto a = debug::read_trace(a_path), b = debug::read_trace(b_path);
  const debug::TraceDiff d = debug::diff_traces(a, b);
  std::cout << "A          " << a_path << ": " << d.a_count << " instructions, last end cycle "
            << d.a_end << "\n"
            << "B          " << b_path << ": " << d.b_count << " instructions, last end cycle "
            << d.b_end << "\n";
  if (!has_checksums(a) || !has_checksums(b))
    std::cout << "note       no checksums in " << (has_checksums(a) ? "B" : "A")
              << ": only operands are compared (record with --trace-values to compare what "
                 "each instruction wrote)\n";
  if (d.first) {
    print_difference("first      ", *d.first);
    std::cout << "differ     " << d.differing << " instructions (" << d.only_a << " only in A, "
              << d.only_b << " only in B)\n";
  } else {
    std::cout << "same       every instruction equal (operands"
              << (has_checksums(a) && has_checksums(b) ? ", written ranges and checksums" : "")
              << ")\n";
  }
  if (d.first_cycles) {
    std::cout << "cycles     " << d.other_cycles << " instructions at other cycles; the first:\n";
    print_difference("           ", *d.first_cycles);
  } else {
    std::cout << "cycles     every matched instruction at the same cycles\n";
  }
  return exit_code && !d.same(cycles) ? 1 : 0;
}

}  // namespace npusim::cli
