#include "sweep_fixture.hpp"

#include <sqlite3.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <memory>
#include <random>

#include "common/model_cache.hpp"
#include "e2e/model_builder.hpp"
#include "npusim/compiler/onnx_io.hpp"

namespace npusim::testing {

namespace fs = std::filesystem;

CommandResult npusim(const std::string& args, const std::string& cwd) {
  const std::string cmd = (cwd.empty() ? "" : "cd '" + cwd + "' && ") + std::string(NPUSIM_BINARY) +
                          " " + args + " 2>&1";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  std::string out;
  std::array<char, 4096> buf;
  while (size_t n = fread(buf.data(), 1, buf.size(), pipe.get())) out.append(buf.data(), n);
  const int status = pclose(pipe.release());
  return {WEXITSTATUS(status), out};
}

Rows query(const std::string& db, const std::string& sql) {
  sqlite3* h = nullptr;
  Rows rows;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(h);
    ADD_FAILURE() << "cannot open " << db;
    return rows;
  }
  sqlite3_busy_timeout(h, 10'000);
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(h, sql.c_str(), -1, &s, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << db << ": " << sqlite3_errmsg(h) << " in " << sql;
    sqlite3_close(h);
    return rows;
  }
  while (sqlite3_step(s) == SQLITE_ROW) {
    std::vector<std::string> row;
    for (int c = 0; c < sqlite3_column_count(s); ++c) {
      const auto* t = sqlite3_column_text(s, c);
      row.push_back(t ? reinterpret_cast<const char*>(t) : "");
    }
    rows.push_back(std::move(row));
  }
  sqlite3_finalize(s);
  sqlite3_close(h);
  return rows;
}

std::map<std::string, std::map<std::string, std::string>> points_by_key(const std::string& db) {
  sqlite3* h = nullptr;
  std::map<std::string, std::map<std::string, std::string>> out;
  sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(h, "SELECT * FROM points", -1, &s, nullptr) == SQLITE_OK) {
    while (sqlite3_step(s) == SQLITE_ROW) {
      std::map<std::string, std::string> row;
      for (int c = 0; c < sqlite3_column_count(s); ++c) {
        const auto* t = sqlite3_column_text(s, c);
        row[sqlite3_column_name(s, c)] = t ? reinterpret_cast<const char*>(t) : "";
      }
      out[row["point_key"]] = row;
    }
  }
  sqlite3_finalize(s);
  sqlite3_close(h);
  return out;
}

void SweepTest::SetUp() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  dir = fs::temp_directory_path() /
        ("npusim_sweep_" + std::string(info->name()) + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
}

void SweepTest::TearDown() {
  if (!HasFailure()) fs::remove_all(dir);  // kept for a look when a test failed
}

std::string SweepTest::write(const std::string& name, const std::string& text) const {
  std::ofstream(dir / name) << text;
  return (dir / name).string();
}

std::string quantized_blazeface() {
  const std::string fp32 = cached_model_path("blazeface.onnx");
  EXPECT_TRUE(file_present(fp32, "scripts/fetch-models.sh --no-yolo"));
  // One file per npusim build, shared by the test processes; written to a
  // temporary and renamed, so a reader never sees half of it.
  const auto stamp = uint64_t(fs::last_write_time(NPUSIM_BINARY).time_since_epoch().count());
  const fs::path shared =
      fs::temp_directory_path() / ("npusim_sweep_tests_" + std::to_string(::getuid()));
  fs::create_directories(shared);
  const fs::path model = shared / ("blazeface-" + std::to_string(stamp) + ".int8.onnx");
  if (fs::exists(model)) return model.string();
  const std::string tmp = model.string() + ".tmp" + std::to_string(::getpid()) + ".onnx";
  const CommandResult r =
      npusim("quantize " + fp32 + " -o " + tmp + " --calib random --calib-count 2 -q");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  fs::rename(tmp, model);
  return model.string();
}

std::string big_conv_model(const std::string& dir) {
  std::mt19937 rng(7);
  Graph g;
  g.opset = 13;
  add_input(g, "x", {1, 256, 8, 8});
  const std::string x = qdq(g, "x", 0.05f, 0);
  const std::string w = weights(g, "w", 256, 256, 3, rng);
  Node conv = node("Conv", {x, w}, {"c"});
  conv.name = "big_conv";
  conv.attrs["pads"] = std::vector<int64_t>{1, 1, 1, 1};
  g.nodes.push_back(conv);
  const std::string y = qdq(g, "c", 0.1f, 0);
  g.nodes.push_back(node("Identity", {y}, {"y"}));
  add_output(g, "y", {1, 256, 8, 8});
  const std::string path = dir + "/big_conv.onnx";
  compiler::export_onnx(round_trip(g, "big_conv"), path);
  return path;
}

std::string wide_resize_model(const std::string& dir) {
  Graph g;
  g.opset = 13;
  add_input(g, "x", {1, 16, 64, 64});
  const std::string x = qdq(g, "x", 0.05f, 0);
  constant(g, "scales", Tensor::from(DType::kFloat32, {4}, std::vector<float>{1, 1, 2, 2}));
  Node up = node("Resize", {x, "", "scales"}, {"r"});
  up.name = "wide_resize";
  up.attrs["mode"] = std::string("linear");
  g.nodes.push_back(up);
  const std::string y = qdq(g, "r", 0.05f, 0);
  g.nodes.push_back(node("Identity", {y}, {"y"}));
  add_output(g, "y", {1, 16, 128, 128});
  const std::string path = dir + "/wide_resize.onnx";
  compiler::export_onnx(round_trip(g, "wide_resize"), path);
  return path;
}

}  // namespace npusim::testing
