#include "common/cli_runner.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace npusim::testing {

CliResult npusim(const std::string& args, int file_limit_kib) {
  // $NPUSIM_TEST_BINARY runs the same cases against another build (e.g. an
  // older one, to see each case fail there).
  const char* other = std::getenv("NPUSIM_TEST_BINARY");
  std::string cmd = std::string(other && *other ? other : NPUSIM_BINARY) + " " + args + " 2>&1";
  if (file_limit_kib > 0)
    cmd = "sh -c 'trap \"\" XFSZ; ulimit -f " + std::to_string(file_limit_kib) + "; " + cmd + "'";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  std::string out;
  std::array<char, 4096> buf;
  while (size_t n = fread(buf.data(), 1, buf.size(), pipe.get())) out.append(buf.data(), n);
  const int status = pclose(pipe.release());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), out};
}

std::string fresh_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("npusim_test_" + std::to_string(::getpid()) + "_" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path);
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace npusim::testing
