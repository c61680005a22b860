#include "program_files.hpp"

#include <filesystem>

#include "npusim/common/files.hpp"
#include "npusim/common/limits.hpp"
#include "npusim/isa/assembler.hpp"

namespace npusim::cli {

std::string read_text_file(const std::string& path) {
  return files::read_file(path, limits::kMaxTextFileBytes, "a text file");
}

void write_text_file(const std::string& path, const std::string& text) {
  files::write_file(path, text);
}

isa::Program read_program(const std::string& path, const isa::HwParams& hw) {
  if (path.size() > 5 && path.substr(path.size() - 5) == ".npub") return isa::load_program(path);
  const std::string text =
      files::read_file(path, limits::kMaxTextFileBytes, "an assembly text file");
  isa::Program p = isa::assemble(text, path);
  if (text.find(".hw") == std::string::npos) p.hw = hw;
  return p;
}

std::string beside(const std::string& input, const std::string& new_extension) {
  return std::filesystem::path(input).replace_extension(new_extension).string();
}

}  // namespace npusim::cli
