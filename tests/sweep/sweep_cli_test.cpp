// npusim sweep run as a user would: results in SQLite (one row per point,
// per-layer rows, CSV), a program compiled once per program-relevant
// setting, re-runs that skip what is done, a killed sweep that resumes
// without redoing or duplicating a point, failing points recorded while the
// sweep goes on, bad specs refused before anything runs, and timing-only
// points with the same simulated cycles as full arithmetic.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <set>
#include <thread>

#include "common/read_file.hpp"
#include "sweep_fixture.hpp"

namespace npusim::testing {
namespace {

namespace fs = std::filesystem;

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class SweepCliTest : public SweepTest {
 protected:
  // BlazeFace over sram_per_pe x dram_bandwidth x `modes`, latency, a private cache.
  std::string blazeface_spec(const std::string& name, const std::string& extra = "",
                             const std::string& modes = "[single, fused]",
                             const std::string& queries = "2") {
    return write(name, "models:\n  - {path: " + quantized_blazeface() +
                           ", name: blazeface}\nmodes: " + modes + "\nqueries: " + queries +
                           "\ncache_dir: " + path("cache") +
                           "\ngrid:\n  sram_per_pe: [1MiB, 4MiB]\n"
                           "  dram_bandwidth: [16.5GB/s, 66GB/s]\n" +
                           extra);
  }
};

TEST_F(SweepCliTest, EveryPointIsRecordedWithItsLayersAndExportedAsCsv) {
  const std::string spec = blazeface_spec("bf.yaml");
  const std::string db = path("bf.sqlite"), csv = path("bf.csv"), layers = path("layers.csv");
  CommandResult r =
      npusim("sweep " + spec + " --db " + db + " -j 2 --csv " + csv + " --layers-csv " + layers);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // Two SRAM sizes x two targets: four programs for eight points (bandwidth compiles once).
  EXPECT_NE(r.output.find("points     8 = 4 hardware x 1 models x 2 modes x 1 workloads"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("programs   4 (0 from the compile cache)"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("ran        8 points"), std::string::npos) << r.output;

  const Rows rows = query(db,
                          "SELECT model, mode, label, status, sram_per_pe, dram_bandwidth, "
                          "latency_mean_us, qps, npu_pct, dram_bytes, sram_use_bytes, "
                          "dram_use_bytes, npu_layers, cpu_layers, array, array_rows, clock, "
                          "timing_only, workload, workers, queries FROM points ORDER BY rowid");
  ASSERT_EQ(rows.size(), 8u);
  std::set<std::string> seen;
  for (const auto& row : rows) {
    EXPECT_EQ(row[0], "blazeface");
    EXPECT_EQ(row[3], "ok");
    seen.insert(row[1] + " " + row[2]);
    EXPECT_TRUE(row[4] == "1048576" || row[4] == "4194304") << row[4];
    EXPECT_TRUE(row[5] == "16500000000" || row[5] == "66000000000") << row[5];
    for (int c : {6, 7, 8}) EXPECT_GT(std::stod(row[c]), 0) << c;
    for (int c : {9, 10, 11, 12, 13}) EXPECT_GT(std::stoull(row[c]), 0u) << c;
    EXPECT_LE(std::stoull(row[10]), std::stoull(row[4])) << "SRAM use within the SRAM";
    EXPECT_EQ(row[14], "64x128");
    EXPECT_EQ(row[15], "64");
    EXPECT_EQ(row[16], "2000000000");
    EXPECT_EQ(row[17], "1");
    EXPECT_EQ(row[18], "latency");
    EXPECT_EQ(row[19], "1");
    EXPECT_EQ(row[20], "2");
  }
  EXPECT_EQ(seen.size(), 8u);
  EXPECT_TRUE(seen.count("fused sram_per_pe=4MiB dram_bandwidth=16.5GB/s"));
  // More bandwidth, less latency, same program.
  const Rows pair = query(db,
                          "SELECT dram_bandwidth, latency_mean_us FROM points WHERE mode = "
                          "'single' AND sram_per_pe = 4194304 ORDER BY dram_bandwidth");
  ASSERT_EQ(pair.size(), 2u);
  EXPECT_LT(std::stod(pair[1][1]), std::stod(pair[0][1]));
  // Per-layer rows: every point, every layer of its program, NPU layers with cycles.
  const Rows per_point =
      query(db,
            "SELECT p.point_key, p.npu_layers + p.cpu_layers, count(l.idx), "
            "sum(l.unit = 'NPU' AND l.cycles > 0), sum(l.unit = 'NPU') FROM points p JOIN layers l "
            "ON l.point_key = p.point_key GROUP BY p.point_key");
  ASSERT_EQ(per_point.size(), 8u);
  for (const auto& row : per_point) {
    EXPECT_EQ(row[1], row[2]) << row[0];
    EXPECT_EQ(row[3], row[4]) << row[0];
  }
  // CSV: a header and one line per row.
  const std::string points_csv = read_file(csv), layers_csv = read_file(layers);
  EXPECT_EQ(count(points_csv, "\n"), 9u);
  EXPECT_EQ(points_csv.substr(0, 37), "point_key,model,model_path,model_hash");
  EXPECT_EQ(count(layers_csv, "\n"),
            std::stoull(query(db, "SELECT count(*) FROM layers")[0][0]) + 1);

  // docs/sweep.md documents every column (the hardware ones as a group).
  const std::string docs = read_file(std::string(NPUSIM_SOURCE_DIR) + "/docs/sweep.md");
  for (const char* table : {"points", "layers", "sweeps", "params"})
    for (const auto& col : query(db, std::string("SELECT name FROM pragma_table_info('") + table +
                                         "') WHERE name NOT IN (SELECT key FROM params) AND name "
                                         "NOT IN ('preset', 'array', 'dataflow')"))
      EXPECT_NE(docs.find("`" + col[0] + "`"), std::string::npos) << table << "." << col[0];

  // Again: nothing to run, nothing rewritten; the programs come from the cache.
  const Rows before = query(db, "SELECT point_key, finished_at, sweep_id FROM points ORDER BY 1");
  r = npusim("sweep " + spec + " --db " + db);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("programs   4 (4 from the compile cache)"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("to run     0 (8 already in " + db + ")"), std::string::npos) << r.output;
  EXPECT_EQ(query(db, "SELECT point_key, finished_at, sweep_id FROM points ORDER BY 1"), before);
  EXPECT_EQ(query(db, "SELECT count(*) FROM sweeps")[0][0], "2");
}

// The same points, timing-only and with full arithmetic: every simulated
// figure of every point and every layer's cycles are equal.
TEST_F(SweepCliTest, TimingOnlyGivesTheSameSimulatedCyclesAsFullArithmetic) {
  const std::string timing = blazeface_spec("t.yaml", "", "[single, fused, two-pe]");
  const std::string full =
      blazeface_spec("f.yaml", "arithmetic: true\n", "[single, fused, two-pe]");
  ASSERT_EQ(npusim("sweep " + timing + " --db " + path("t.sqlite")).exit_code, 0);
  const CommandResult r = npusim("sweep " + full + " --db " + path("f.sqlite"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string simulated =
      "mode, label, latency_mean_us, latency_p99_us, qps, span_us, h2d_us, compute_us, d2h_us, "
      "npu_pct, comp_pct, io_pct, pe_cycles, task_cycles, tensor_cycles, dma_busy_cycles, "
      "dram_bytes";
  const Rows t = query(path("t.sqlite"), "SELECT " + simulated + " FROM points ORDER BY 1, 2");
  const Rows f = query(path("f.sqlite"), "SELECT " + simulated + " FROM points ORDER BY 1, 2");
  ASSERT_EQ(t.size(), 12u);
  EXPECT_EQ(t, f);
  EXPECT_EQ(
      query(path("t.sqlite"), "SELECT count(DISTINCT timing_only) || timing_only FROM points"),
      (Rows{{"11"}}));
  EXPECT_EQ(
      query(path("f.sqlite"), "SELECT count(DISTINCT timing_only) || timing_only FROM points"),
      (Rows{{"10"}}));
  const std::string layers =
      "SELECT p.mode, p.label, l.idx, l.cycles, l.dma_bytes, l.macs FROM layers l JOIN points p "
      "ON p.point_key = l.point_key ORDER BY 1, 2, 3";
  const Rows tl = query(path("t.sqlite"), layers), fl = query(path("f.sqlite"), layers);
  EXPECT_GT(tl.size(), 12u * 60);
  EXPECT_EQ(tl, fl);
}

// Killed mid-way (SIGKILL, no chance to clean up), the sweep leaves whole
// points only and no worker running; the re-run runs exactly the rest.
TEST_F(SweepCliTest, AKilledSweepResumesWithoutRedoingOrDuplicatingPoints) {
  const std::string spec = blazeface_spec("k.yaml", "", "[single, fused, two-pe]", "24");
  const std::string db = path("k.sqlite");
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const std::string log = path("first.log");
    freopen(log.c_str(), "w", stdout);
    freopen(log.c_str(), "a", stderr);
    execl(NPUSIM_BINARY, NPUSIM_BINARY, "sweep", spec.c_str(), "--db", db.c_str(), "-j", "2",
          nullptr);
    _exit(127);
  }
  size_t done = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(4);
  while (std::chrono::steady_clock::now() < deadline) {
    // The file exists before its tables do (the schema is several statements).
    if (fs::exists(db) &&
        query(db, "SELECT count(*) FROM sqlite_master WHERE name = 'points'")[0][0] == "1") {
      const Rows n = query(db, "SELECT count(*) FROM points");
      done = n.empty() ? 0 : std::stoul(n[0][0]);
      if (done >= 3) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_GE(done, 3u) << read_file(path("first.log"));
  // The workers died with it: nothing more is written.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  const Rows first = query(db, "SELECT point_key, finished_at FROM points ORDER BY 1");
  ASSERT_LT(first.size(), 12u) << "the sweep finished before it was killed; make points slower";
  ASSERT_EQ(query(db, "SELECT count(*) FROM points")[0][0], std::to_string(first.size()));

  const CommandResult r = npusim("sweep " + spec + " --db " + db + " -j 2");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("to run     " + std::to_string(12 - first.size()) + " (" +
                          std::to_string(first.size()) + " already in"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("ran        " + std::to_string(12 - first.size()) + " points"),
            std::string::npos)
      << r.output;
  EXPECT_EQ(query(db, "SELECT count(*), count(DISTINCT point_key) FROM points"),
            (Rows{{"12", "12"}}));
  EXPECT_EQ(query(db, "SELECT count(*) FROM points WHERE status = 'ok'")[0][0], "12");
  // The points of the first run are untouched (same finish time, first sweep).
  for (const auto& row : first)
    EXPECT_EQ(
        query(db, "SELECT finished_at, sweep_id FROM points WHERE point_key = '" + row[0] + "'"),
        (Rows{{row[1], "1"}}));
  EXPECT_EQ(query(db, "SELECT count(*) FROM points WHERE sweep_id = 2")[0][0],
            std::to_string(12 - first.size()));
  // Layers: exactly one set per point.
  EXPECT_EQ(query(db,
                  "SELECT count(*) FROM (SELECT point_key, idx, count(*) c FROM layers "
                  "GROUP BY 1, 2 HAVING c > 1)")[0][0],
            "0");
}

// A point that fails on the device (two PEs' copies of BlazeFace need more
// than 1 MiB of device DRAM) is recorded with its error; the other points
// run. (Workers that crash, hang or answer garbage: local_executor_test.)
TEST_F(SweepCliTest, FailingPointsAreRecordedAndTheSweepGoesOn) {
  const std::string spec =
      write("w.yaml", "models:\n  - {path: " + quantized_blazeface() +
                          ", name: blazeface}\ncache_dir: " + path("cache") +
                          "\nmodes: [two-pe]\nqueries: 1\ngrid:\n  dram_size: [1MiB, 16GiB]\n");
  CommandResult r = npusim("sweep " + spec + " --db " + path("w.sqlite"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("failed     1 points (recorded with their error):"), std::string::npos)
      << r.output;
  const Rows rows = query(path("w.sqlite"),
                          "SELECT dram_size, status, error, latency_mean_us IS NULL FROM "
                          "points ORDER BY dram_size");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0][1], "failed");
  EXPECT_NE(rows[0][2].find("out of device memory"), std::string::npos) << rows[0][2];
  EXPECT_EQ(rows[0][3], "1") << "a failed point has no figures";
  EXPECT_EQ(rows[1][1], "ok");
  // Failed points are done: skipped again unless --retry-failed.
  r = npusim("sweep " + spec + " --db " + path("w.sqlite"));
  EXPECT_NE(r.output.find("to run     0 (2 already in"), std::string::npos) << r.output;
  r = npusim("sweep " + spec + " --db " + path("w.sqlite") + " --retry-failed");
  EXPECT_NE(r.output.find("to run     1 (1 already in"), std::string::npos) << r.output;
  EXPECT_EQ(query(path("w.sqlite"), "SELECT count(*) FROM points")[0][0], "2");

  // Inputs for every request are held at once: a limit checked before allocating.
  const std::string huge = write("h.yaml", "models:\n  - {path: " + quantized_blazeface() +
                                               ", name: blazeface}\ncache_dir: " + path("cache") +
                                               "\nworkloads: [{latency: {queries: 100000}}]\n");
  r = npusim("sweep " + huge + " --db " + path("h.sqlite"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(query(path("h.sqlite"), "SELECT status, error FROM points"),
            (Rows{{"failed",
                   "100000 queries of 196608 input bytes each would hold more than 4 GiB of "
                   "inputs at once: ask for fewer queries"}}));
}

// Refused before anything runs: the message names the file, the line, the
// key and the value, the exit code is 2 (a usage error), and no database is
// written.
TEST_F(SweepCliTest, BadSpecsAreRefusedBeforeAnythingRuns) {
  big_conv_model(dir.string());
  wide_resize_model(dir.string());
  struct Case {
    std::string spec, message;
  };
  const std::vector<Case> cases = {
      {"models: [wide_resize.onnx]\ngrid:\n  sram_per_pe: [1MiB, 64KiB]\n",
       "bad.yaml: cannot compile model wide_resize (single) for sram_per_pe=64KiB: 1 layer runs on "
       "the NPU with more SRAM but not with this hardware: QResize 'wide_resize': "},
      {"models: [big_conv.onnx]\ngrid:\n  sram_per_pe: [1MiB, 4MB]\n",
       "bad.yaml:3: grid.sram_per_pe[1]: bad value \"4MB\" for sram_per_pe: expected a size like "
       "16MiB (units GiB, MiB, KiB, B)"},
      {"models: [big_conv.onnx]\ngrid:\n  sram_per_pe: []\n",
       "bad.yaml:3: grid.sram_per_pe: empty list (it needs at least one entry)"},
      {"models: [big_conv.onnx]\ngrid:\n  sram: [1MiB]\n",
       "bad.yaml:3: grid.sram[0]: unknown hardware parameter \"sram\""},
      {"models: [big_conv.onnx]\nmodels_extra: 1\n",
       "bad.yaml:2: models_extra: unknown key \"models_extra\""},
  };
  for (const Case& c : cases) {
    write("bad.yaml", c.spec + "cache_dir: " + path("cache") + "\n");
    const CommandResult r = npusim("sweep bad.yaml --db out.sqlite", dir.string());
    EXPECT_EQ(r.exit_code, 2) << c.spec << r.output;
    EXPECT_NE(r.output.find("npusim sweep: " + c.message), std::string::npos)
        << "want: " << c.message << "\ngot: " << r.output;
    EXPECT_FALSE(fs::exists(path("out.sqlite"))) << c.spec;
  }
}

TEST_F(SweepCliTest, DryRunListsThePointsAndWritesNothing) {
  const std::string spec = blazeface_spec("d.yaml", "constraints: [dram_bandwidth > 20GB/s]\n");
  const CommandResult r = npusim("sweep " + spec + " --dry-run --db " + path("d.sqlite"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("2 hardware points excluded by the constraints"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("  blazeface  fused  latency  sram_per_pe=4MiB dram_bandwidth=66GB/s"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("4 points, 4 programs to compile; nothing run"), std::string::npos)
      << r.output;
  EXPECT_FALSE(fs::exists(path("d.sqlite")));
  EXPECT_FALSE(fs::exists(path("cache")));
}

// docs/sweep.md's example, tools/sweep/examples/showcase.yaml, stays a valid
// spec of the size the page gives. Its models are where its header has the
// user quantise them (under ~); a dry run reads neither of them.
TEST_F(SweepCliTest, TheShowcaseExampleIsTheStudyTheDocsDescribe) {
  const fs::path models = dir / "home/.cache/npusim/models";
  fs::create_directories(models);
  write("home/.cache/npusim/models/yolov8n.int8.onnx", "not read by a dry run: yolov8n");
  write("home/.cache/npusim/models/blazeface.int8.onnx", "not read by a dry run: blazeface");
  const std::string home = std::getenv("HOME") ? std::getenv("HOME") : "";
  ASSERT_EQ(setenv("HOME", (dir / "home").c_str(), 1), 0);
  const CommandResult r =
      npusim("sweep " + std::string(NPUSIM_SOURCE_DIR) +
             "/tools/sweep/examples/showcase.yaml --dry-run --db " + path("showcase.sqlite"));
  setenv("HOME", home.c_str(), 1);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* line : {"points     216 = 18 hardware x 2 models x 3 modes x 2 workloads\n",
                           "  yolov8n-640  two-pe  throughput  sram_per_pe=16MiB "
                           "dram_bandwidth=528GB/s\n",
                           "216 points, 12 programs to compile; nothing run\n"})
    EXPECT_NE(r.output.find(line), std::string::npos) << line << r.output;
  EXPECT_FALSE(fs::exists(path("showcase.sqlite")));
}

}  // namespace
}  // namespace npusim::testing
