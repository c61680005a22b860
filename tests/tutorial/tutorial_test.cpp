// docs/tutorial.md run as a user would run it, so the page cannot go stale:
// every ```sh block in order, in one bash session (variables carry over), in
// a scratch folder, with a small run (SIZE=160 FRAMES=20 MODEL_RUNS=2). The
// lines of each ```text block that follows a ```sh block must appear, in
// order, in that block's output, numbers aside: digits are masked and runs
// of spaces count as one, so the page can show a 640x640 run. A line "..."
// stands for lines left out. ```shell blocks (the fresh-clone setup) are
// not run. TUTORIAL_DUMP=FILE writes each block's output there, to refresh
// the page.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "common/read_file.hpp"

namespace {

namespace fs = std::filesystem;

struct Block {
  std::string lang, text;
  int line = 0;  // of the opening fence, for messages
};

std::vector<Block> fenced_blocks(const std::string& markdown) {
  std::vector<Block> blocks;
  std::istringstream in(markdown);
  bool inside = false;
  int n = 0;
  for (std::string line; std::getline(in, line);) {
    ++n;
    if (line.rfind("```", 0) == 0) {
      if (!inside) blocks.push_back({line.substr(3), "", n});
      inside = !inside;
    } else if (inside) {
      blocks.back().text += line + "\n";
    }
  }
  return blocks;
}

// Numbers become '#' (a range "a - b" too: over a few runs its ends may
// meet), runs of spaces one space, ends trimmed.
std::string mask(const std::string& line) {
  static const std::regex number(R"([-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?)");
  static const std::regex range(R"(# - #)");
  static const std::regex spaces(R"(\s+)");
  std::string s = std::regex_replace(std::regex_replace(line, number, "#"), spaces, " ");
  s = std::regex_replace(s, range, "#");
  s.erase(0, s.find_first_not_of(' '));
  s.erase(s.find_last_not_of(' ') + 1);
  return s;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// The first expected line (masked) that the output does not have in order,
// or "" when every one is there.
std::string missing_line(const std::string& expected, const std::string& output) {
  const std::vector<std::string> have = lines_of(output);
  size_t at = 0;
  for (const std::string& want : lines_of(expected)) {
    if (mask(want) == "..." || mask(want).empty()) continue;
    while (at < have.size() && mask(have[at]) != mask(want)) ++at;
    if (at == have.size()) return want;
    ++at;
  }
  return "";
}

std::string run(const std::string& command, int* status) {
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return "";
  std::string out;
  char buffer[65536];
  for (size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) out.append(buffer, n);
  *status = pclose(pipe);
  return out;
}

TEST(Tutorial, EveryCommandRunsAndPrintsWhatThePageShows) {
  const std::string source = NPUSIM_SOURCE_DIR, tools = NPUSIM_TOOLS_DIR;
  const std::vector<Block> blocks =
      fenced_blocks(npusim::testing::read_file(source + "/docs/tutorial.md"));
  const fs::path dir = fs::temp_directory_path() / ("tutorial_" + std::to_string(getpid()));
  fs::create_directories(dir);
  fs::create_directory_symlink(fs::path(source) / "models", dir / "models");

  // One script: each sh block after a marker line.
  std::ostringstream script;
  script << "set -euo pipefail\ncd '" << dir.string() << "'\nexport PATH='" << tools
         << "':$PATH SIZE=160 FRAMES=20 MODEL_RUNS=2\n";
  std::vector<size_t> run_blocks;
  for (size_t i = 0; i < blocks.size(); ++i) {
    if (blocks[i].lang != "sh") continue;
    script << "echo '@@block " << run_blocks.size() << "@@'\n" << blocks[i].text;
    run_blocks.push_back(i);
  }
  ASSERT_GE(run_blocks.size(), 8u) << "docs/tutorial.md lost its ```sh blocks";
  std::ofstream(dir / "tutorial.sh") << script.str();
  int status = 0;
  const std::string output = run("bash '" + (dir / "tutorial.sh").string() + "' 2>&1", &status);

  // Split the output at the markers.
  std::vector<std::string> outputs(run_blocks.size());
  size_t current = 0;
  bool started = false;
  for (const std::string& line : lines_of(output)) {
    if (line.rfind("@@block ", 0) == 0) {
      current = std::stoul(line.substr(8));
      started = true;
    } else if (started) {
      outputs[current] += line + "\n";
    }
  }
  if (const char* dump = std::getenv("TUTORIAL_DUMP")) {
    std::ofstream out(dump);
    for (size_t k = 0; k < run_blocks.size(); ++k)
      out << "=== block at line " << blocks[run_blocks[k]].line << "\n" << outputs[k];
  }
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "a command of docs/tutorial.md failed; the end of the output:\n"
      << output.substr(output.size() > 4000 ? output.size() - 4000 : 0);

  for (size_t k = 0; k < run_blocks.size(); ++k) {
    const size_t next = run_blocks[k] + 1;
    if (next >= blocks.size() || blocks[next].lang != "text") continue;
    const std::string missing = missing_line(blocks[next].text, outputs[k]);
    EXPECT_EQ(missing, "") << "docs/tutorial.md line " << blocks[next].line
                           << ": the output of the block at line " << blocks[run_blocks[k]].line
                           << " has no line like this one (in this order), numbers aside:\n"
                           << missing << "\nThe output:\n"
                           << outputs[k];
  }
  fs::remove_all(dir);
}

// The matching rules themselves.
TEST(Tutorial, LinesMatchWithNumbersAndSpacingAside) {
  EXPECT_EQ(mask("  latency    3712.4 us (simulated)"), "latency # us (simulated)");
  EXPECT_EQ(mask("images [1, 3, 640, 640]"), mask("images [1, 3, 160, 160]"));
  EXPECT_EQ(mask("host peak 139.2 - 143.2 MiB"), mask("host peak 110.7 MiB"));
  EXPECT_EQ(missing_line("a 1\n...\nc 3\n", "x\na 10\nb\nc 30\n"), "");
  EXPECT_EQ(missing_line("c 3\na 1\n", "a 10\nc 30\n"), "a 1") << "order counts";
  EXPECT_EQ(missing_line("a 1 ms\n", "a 1 us\n"), "a 1 ms") << "words count";
}

}  // namespace
