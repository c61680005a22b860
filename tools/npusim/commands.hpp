// The npusim subcommands. Each takes its own arguments (argv after the
// subcommand name) and returns the process exit code.
#pragma once

#include <string>
#include <vector>

namespace npusim::cli {

using Args = std::vector<std::string>;

int cmd_info(const Args& args);
int cmd_asm(const Args& args);
int cmd_disasm(const Args& args);
int cmd_exec(const Args& args);
int cmd_compile(const Args& args);
int cmd_quantize(const Args& args);
int cmd_run(const Args& args);
int cmd_bench(const Args& args);
int cmd_profile(const Args& args);
int cmd_sweep(const Args& args);
int cmd_plot(const Args& args);
int cmd_debug(const Args& args);
int cmd_split(const Args& args);
int cmd_trace_diff(const Args& args);

// A usage error: printed with the subcommand's help, exit code 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace npusim::cli
