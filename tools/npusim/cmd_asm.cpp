// npusim asm / disasm: program text <-> .npub.
#include <fstream>
#include <iostream>
#include <sstream>

#include "commands.hpp"
#include "npusim/common/files.hpp"
#include "npusim/common/limits.hpp"
#include "npusim/isa/assembler.hpp"
#include "npusim/isa/verifier.hpp"
#include "parse_options.hpp"
#include "program_files.hpp"

namespace po = boost::program_options;

namespace npusim::cli {

int cmd_asm(const Args& args) {
  std::string input, output;
  bool no_verify = false;
  po::options_description desc("asm options");
  desc.add_options()("input", po::value(&input)->required()->value_name("FILE.s"), "program text")(
      "output,o", po::value(&output)->required()->value_name("OUT.npub"), "output file")(
      "no-verify", po::bool_switch(&no_verify), "write the file even if the verifier rejects it");
  po::positional_options_description pos;
  pos.add("input", 1);
  parse_options(args, "npusim asm FILE.s -o OUT.npub", desc, pos);
  const isa::Program program = isa::assemble(
      files::read_file(input, limits::kMaxTextFileBytes, "an assembly text file"), input);
  if (!no_verify) isa::verify_or_throw(program, program.hw);
  isa::save_program(program, output);
  std::cout << "wrote " << output << "\n";
  return 0;
}

int cmd_disasm(const Args& args) {
  std::string input, output;
  po::options_description desc("disasm options");
  desc.add_options()("input", po::value(&input)->required()->value_name("FILE.npub"), "program")(
      "output,o", po::value(&output)->value_name("OUT.s"), "write the text here (default stdout)");
  po::positional_options_description pos;
  pos.add("input", 1);
  parse_options(args, "npusim disasm FILE.npub [-o OUT.s]", desc, pos);
  const std::string text = isa::disassemble(isa::load_program(input));
  if (output.empty()) {
    std::cout << text;
    return 0;
  }
  write_text_file(output, text);
  return 0;
}

}  // namespace npusim::cli
