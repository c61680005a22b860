// Running the npusim command line as a user would, for the tests of its commands:
// exit code and output, optionally under a file-size limit (a full disk).
#pragma once

#include <string>

namespace npusim::testing {

struct CliResult {
  int exit_code = 0;
  std::string output;  // stdout and stderr
};

// `npusim ARGS` ($NPUSIM_TEST_BINARY instead of this build's, if set); with `file_limit_kib` > 0,
// run under `ulimit -f` with SIGXFSZ ignored, so writes past the limit fail with EFBIG as on a full
// disk.
CliResult npusim(const std::string& args, int file_limit_kib = 0);

// A fresh directory for one test (removed by the caller's fixture).
std::string fresh_dir(const std::string& name);

void write_text(const std::string& path, const std::string& text);
std::string slurp(const std::string& path);

}  // namespace npusim::testing
