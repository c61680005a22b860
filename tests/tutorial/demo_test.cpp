// scripts/demo.sh, the README's first command, run as the job it is (with
// --no-setup: the test build is there and the models and photos are cached):
// it must print the quantiser's whole accuracy table (it once printed the
// header and no rows through `head -16`), find the face and write its files.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

std::string run(const std::string& command, int* status) {
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return "";
  std::string out;
  char buffer[65536];
  for (size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) out.append(buffer, n);
  *status = pclose(pipe);
  return out;
}

// The lines after the first line starting with `title` (and its column
// header) up to the next empty line.
std::vector<std::string> table_rows(const std::string& text, const std::string& title) {
  std::istringstream in(text);
  std::vector<std::string> rows;
  bool inside = false, header = false;
  for (std::string line; std::getline(in, line);) {
    if (!inside) {
      inside = line.rfind(title, 0) == 0;
      continue;
    }
    if (line.empty()) break;
    if (!header) {
      header = line.find("SQNR dB") != std::string::npos;
      continue;
    }
    rows.push_back(line);
  }
  return rows;
}

TEST(Demo, PrintsTheWholeAccuracyTableAndFindsTheFace) {
  const fs::path build = fs::path(NPUSIM_TOOLS_DIR).parent_path();
  const fs::path out = fs::temp_directory_path() / ("demo_" + std::to_string(getpid()));
  int status = 0;
  const std::string output =
      run(std::string(NPUSIM_SOURCE_DIR) + "/scripts/demo.sh --no-setup" + " --build '" +
              build.string() + "' --out '" + out.string() + "' 2>&1",
          &status);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << output;

  // One row per output of BlazeFace (pinned in models/checksums.sha256), in
  // the model's order, each with its five figures.
  const std::vector<std::string> rows = table_rows(output, "accuracy on the ");
  const char* outputs[] = {"Identity:0", "Identity_1:0", "Identity_2:0", "Identity_3:0"};
  ASSERT_EQ(rows.size(), std::size(outputs)) << output;
  const std::regex five_figures(R"(\s+\S+(\s+[-0-9.]+){5})");
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].find("  " + std::string(outputs[i]) + " "), 0u) << rows[i];
    EXPECT_TRUE(std::regex_match(rows[i], five_figures)) << rows[i];
  }
  // --top 3: the three least accurate activations.
  EXPECT_EQ(table_rows(output, "least accurate activations").size(), 3u) << output;

  for (const char* line :
       {"faces      1 found on the NPU", "wrote      ", "npu0pe0    NPU% ", "npu0pe1    NPU% "})
    EXPECT_NE(output.find(line), std::string::npos) << line << "\n" << output;
  for (const char* file : {"astronaut_faces.png", "report.txt", "blazeface.npub"})
    EXPECT_GT(fs::file_size(out / file), 0u) << file;
  fs::remove_all(out);
}

TEST(Demo, RefusesAnUnknownOption) {
  int status = 0;
  const std::string output =
      run(std::string(NPUSIM_SOURCE_DIR) + "/scripts/demo.sh --frobnicate 2>&1", &status);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 2) << output;
  EXPECT_NE(output.find("demo: unknown option \"--frobnicate\""), std::string::npos) << output;
}

// demo.sh shows the build through scripts/build-progress.sh (a line per
// tenth when not on a terminal). A fresh configure makes ninja count a few
// generation steps first and then the build from 1 again; the tenths must
// start over with it (they stayed at 90 %, hiding the first 150 steps).
TEST(BuildProgress, ShowsEveryTenthAlsoAfterNinjaCountsAgain) {
  std::string ninja = "[0/6] Re-checking globbed directories...\\n[2/6] Generating a\\n";
  for (int i = 1; i <= 20; ++i)
    ninja += "[" + std::to_string(i) + "/20] Building CXX object x" + std::to_string(i) + "\\n";
  ninja += "FAILED: x20.o\\n";
  int status = 0;
  const std::string output = run("printf '" + ninja + "' | " + NPUSIM_SOURCE_DIR +
                                     "/scripts/build-progress.sh build | sed 's/, [0-9]* s$//'",
                                 &status);
  EXPECT_EQ(output,
            "build: 2/6 steps (33 %)\n"
            "build: 2/20 steps (10 %)\nbuild: 4/20 steps (20 %)\nbuild: 6/20 steps (30 %)\n"
            "build: 8/20 steps (40 %)\nbuild: 10/20 steps (50 %)\nbuild: 12/20 steps (60 %)\n"
            "build: 14/20 steps (70 %)\nbuild: 16/20 steps (80 %)\nbuild: 18/20 steps (90 %)\n"
            "build: 20/20 steps (100 %)\nFAILED: x20.o\n");
}

}  // namespace
