// The local executor with workers that misbehave, as real processes: one
// that never answers is killed at the point timeout, one that crashes or
// exits is reported with its signal or exit code and the end of its stderr,
// one that answers garbage is reported; each job still gets exactly one
// result and a fresh worker takes the next job.
#include "npusim/sweep/local_executor.hpp"

#include <gtest/gtest.h>

#include <map>

namespace npusim::sweep {
namespace {

// Results by key for jobs "a" and "b" run by workers started as `command`.
std::map<std::string, PointResult> run_with(
    const std::vector<std::string>& command,
    std::chrono::seconds timeout = std::chrono::seconds(30)) {
  Point a, b;
  a.key = "a";
  b.key = "b";
  const std::vector<Job> jobs = {{JobKind::kRun, &a}, {JobKind::kRun, &b}};
  std::map<std::string, PointResult> results;
  int calls = 0;
  run_local(jobs, LocalOptions{1, timeout, command}, [&](const Job& job, const PointResult& r) {
    EXPECT_EQ(job.point->key, r.key);
    results[r.key] = r;
    ++calls;
  });
  EXPECT_EQ(calls, 2) << "one result per job";
  return results;
}

TEST(LocalExecutor, AWorkerOverThePointTimeoutIsKilledAndReplaced) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = run_with({"/bin/sh", "-c", "read job; sleep 100"}, std::chrono::seconds(1));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(20));
  for (const char* key : {"a", "b"}) {
    EXPECT_EQ(r.at(key).status, "failed");
    EXPECT_EQ(r.at(key).error, "timed out after 1 s (--point-timeout)");
  }
}

TEST(LocalExecutor, AWorkerThatCrashesIsReportedWithItsSignalAndLastOutput) {
  const auto r = run_with({"/bin/sh", "-c", "read job; echo 'about to fail' >&2; kill -SEGV $$"});
  for (const char* key : {"a", "b"}) {
    EXPECT_EQ(r.at(key).status, "failed");
    EXPECT_EQ(r.at(key).error,
              "the worker process died of signal 11 (Segmentation fault); its last output: "
              "about to fail\n");
  }
}

TEST(LocalExecutor, AWorkerThatExitsOrAnswersGarbageIsReported) {
  auto r = run_with({"/bin/sh", "-c", "read job; exit 3"});
  EXPECT_EQ(r.at("a").error, "the worker process exited with code 3 without an answer");
  r = run_with({"/bin/sh", "-c", "read job; echo 'not json'; read job; exit 0"});
  EXPECT_EQ(r.at("a").status, "failed");
  EXPECT_EQ(r.at("a").error.rfind("unreadable answer from the worker: ", 0), 0u) << r.at("a").error;
}

TEST(LocalExecutor, AWorkerThatCannotStartIsReported) {
  const auto r = run_with({"/no/such/npusim", "sweep", "--worker"});
  EXPECT_EQ(r.at("a").error,
            "the worker process exited with code 127 without an answer; its last output: cannot "
            "run /no/such/npusim: No such file or directory\n");
}

}  // namespace
}  // namespace npusim::sweep
