#include "program_files.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "npusim/isa/assembler.hpp"

namespace npusim::cli {

std::string read_text_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_text_file(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  if (!(out << text)) throw std::runtime_error("cannot write " + path);
}

isa::Program read_program(const std::string& path, const isa::HwParams& hw) {
  if (path.size() > 5 && path.substr(path.size() - 5) == ".npub") return isa::load_program(path);
  const std::string text = read_text_file(path);
  isa::Program p = isa::assemble(text, path);
  if (text.find(".hw") == std::string::npos) p.hw = hw;
  return p;
}

std::string beside(const std::string& input, const std::string& new_extension) {
  return std::filesystem::path(input).replace_extension(new_extension).string();
}

}  // namespace npusim::cli
