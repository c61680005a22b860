// npusim plot: a sweep's results as plots (PNG and SVG) and one
// self-contained HTML page, drawn by tools/sweep/plot_sweep.py with
// matplotlib under Debian's /usr/bin/python3 (docs/sweep.md, "Plots").
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "commands.hpp"
#include "parse_options.hpp"

namespace po = boost::program_options;

namespace npusim::cli {
namespace {

constexpr const char* kPython = "/usr/bin/python3";  // Debian's, which sees python3-matplotlib

std::string plot_script() {
  if (const char* s = std::getenv("NPUSIM_PLOT_SCRIPT"); s && *s) return s;
  return NPUSIM_PLOT_SCRIPT;
}

}  // namespace

int cmd_plot(const Args& args) {
  std::string db, out;
  po::options_description desc("plot options");
  desc.add_options()("db", po::value(&db)->required()->value_name("RESULTS.sqlite"),
                     "a database written by npusim sweep")(
      "output,o", po::value(&out)->value_name("DIR"),
      "where the plots and index.html go (default RESULTS.plots/)");
  po::positional_options_description pos;
  pos.add("db", 1);
  parse_options(args, "npusim plot RESULTS.sqlite [-o DIR]", desc, pos);
  if (!std::filesystem::is_regular_file(db))
    throw UsageError("no results database " + db + " (npusim sweep writes one)");
  if (out.empty()) out = std::filesystem::path(db).replace_extension(".plots").string();
  const std::string script = plot_script();
  if (!std::filesystem::is_regular_file(script))
    throw std::runtime_error("the plot script " + script + " is missing");
  if (::access(kPython, X_OK) != 0)
    throw std::runtime_error(std::string(kPython) + " is missing: run scripts/install-deps.sh");

  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::execl(kPython, kPython, script.c_str(), db.c_str(), out.c_str(), nullptr);
    std::cerr << "npusim plot: cannot run " << kPython << ": " << std::strerror(errno) << "\n";
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::cerr << "npusim plot: " << script << " failed\n";
    return 1;
  }
  return 0;
}

}  // namespace npusim::cli
