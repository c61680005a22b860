#include "common/read_file.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace npusim::testing {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace npusim::testing
