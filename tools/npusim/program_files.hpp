// Reading programs from disk: .npub containers or assembly text.
#pragma once

#include <string>

#include "npusim/isa/program.hpp"

namespace npusim::cli {

std::string read_text_file(const std::string& path);
void write_text_file(const std::string& path, const std::string& text);

// A .npub file, or assembly text (any other extension). Assembly text is
// hardware-agnostic: it takes `hw` unless it names parameters with `.hw`.
isa::Program read_program(const std::string& path, const isa::HwParams& hw);

// The default output beside an input: "dir/model.onnx" + ".npub" ->
// "dir/model.npub" (the input's extension replaced).
std::string beside(const std::string& input, const std::string& new_extension);

}  // namespace npusim::cli
