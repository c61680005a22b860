// The same small sweep run locally and as a Slurm job array on a one-node
// cluster this test starts itself (scripts/slurm-local-cluster.sh: munged,
// slurmctld and slurmd on localhost, 8 task slots on any number of cores)
// and stops by PID: the result rows are identical but for the host figures
// (compile and wall times, the machine, the cache) and the bookkeeping
// (which sweep run wrote them, when). Needs Debian's slurm-wlm and munge.
#include <cstdlib>
#include <set>

#include "sweep_fixture.hpp"

namespace npusim::testing {
namespace {

namespace fs = std::filesystem;

const std::set<std::string> kHostColumns = {"compile_ms", "cache_hit", "host_ms",
                                            "host",       "sweep_id",  "finished_at"};

class SlurmSweepTest : public SweepTest {
 protected:
  void SetUp() override {
    SweepTest::SetUp();
    cluster = path("cluster");
    const std::string cmd = std::string(NPUSIM_SOURCE_DIR) +
                            "/scripts/slurm-local-cluster.sh start " + cluster + " 8 2>&1";
    FILE* pipe = popen(cmd.c_str(), "r");
    std::string out;
    char buf[512];
    while (size_t n = fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
    started = pclose(pipe) == 0;
    ASSERT_TRUE(started) << out;
    ASSERT_EQ(setenv("SLURM_CONF", (cluster + "/slurm.conf").c_str(), 1), 0);
  }
  void TearDown() override {
    if (started) {
      const std::string stop =
          std::string(NPUSIM_SOURCE_DIR) + "/scripts/slurm-local-cluster.sh stop " + cluster;
      EXPECT_EQ(std::system(stop.c_str()), 0);
    }
    SweepTest::TearDown();
  }
  std::string cluster;
  bool started = false;
};

// Rows of a table as text, without the host columns, ordered by key.
Rows result_rows(const std::string& db, const std::string& table, const std::string& order) {
  std::string columns;
  for (const auto& row : query(db, "SELECT name FROM pragma_table_info('" + table + "')"))
    if (!kHostColumns.count(row[0])) columns += (columns.empty() ? "\"" : ", \"") + row[0] + "\"";
  return query(db, "SELECT " + columns + " FROM " + table + " ORDER BY " + order);
}

TEST_F(SlurmSweepTest, LocalAndSlurmRunsLandIdenticalResultRows) {
  const std::string spec =
      write("s.yaml", "models:\n  - {path: " + quantized_blazeface() + ", name: blazeface}\n" +
                          "modes: [single, fused]\nqueries: 2\ncache_dir: " + path("cache") +
                          "\ngrid:\n  dram_bandwidth: [16.5GB/s, 66GB/s]\n");
  CommandResult r = npusim("sweep " + spec + " --db " + path("local.sqlite") + " -j 2");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = npusim("sweep " + spec + " --db " + path("slurm.sqlite") +
             " --executor slurm --slurm-tasks 4 --slurm-timeout 600");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("submitted Slurm job array"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("ran        4 points"), std::string::npos) << r.output;
  // Each of the four array tasks wrote its point into its own database.
  for (int t = 0; t < 4; ++t) {
    const std::string shard =
        path("slurm.sqlite.slurm/sweep-1/task-" + std::to_string(t) + ".sqlite");
    ASSERT_TRUE(fs::exists(shard)) << shard;
    EXPECT_EQ(query(shard, "SELECT count(*) FROM points")[0][0], "1") << shard;
  }

  const Rows local = result_rows(path("local.sqlite"), "points", "point_key");
  const Rows slurm = result_rows(path("slurm.sqlite"), "points", "point_key");
  ASSERT_EQ(local.size(), 4u);
  EXPECT_EQ(local, slurm);
  EXPECT_EQ(query(path("slurm.sqlite"), "SELECT count(*) FROM points WHERE status = 'ok'")[0][0],
            "4");
  EXPECT_EQ(result_rows(path("local.sqlite"), "layers", "point_key, idx"),
            result_rows(path("slurm.sqlite"), "layers", "point_key, idx"));
  EXPECT_EQ(query(path("slurm.sqlite"), "SELECT executor FROM sweeps"), (Rows{{"slurm"}}));
}

}  // namespace
}  // namespace npusim::testing
