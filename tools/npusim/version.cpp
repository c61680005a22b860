#include "version.hpp"

#include <iostream>

#include "npusim/isa/hw_params.hpp"

namespace npusim::cli {

int print_version() {
  std::cout << "npusim " << runtime::version() << "\ngit revision " << runtime::git_revision()
            << "\nhardware presets:";
  for (const std::string& name : isa::preset_names()) std::cout << " " << name;
  std::cout << " (default warboy)\ndefault hardware parameters (docs/params.md):\n";
  for (const auto& [key, value] : isa::describe(isa::preset("warboy")))
    std::cout << "  " << key << " = " << value << "\n";
  return 0;
}

}  // namespace npusim::cli
