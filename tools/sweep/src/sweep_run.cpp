#include "npusim/sweep/sweep_run.hpp"

#include <algorithm>
#include <iostream>
#include <map>

#include "npusim/sweep/local_executor.hpp"
#include "npusim/sweep/results_db.hpp"

namespace npusim::sweep {

namespace {

using Clock = std::chrono::steady_clock;

// Points that share a compiled program: one compile job checks them all.
struct CompileGroups {
  std::vector<const Point*> first;  // a point of each group
  std::vector<size_t> of_point;     // group index of each point
};

CompileGroups compile_groups(const std::vector<Point>& points) {
  CompileGroups g;
  std::map<std::string, size_t> index;
  for (const Point& p : points) {
    const auto [it, fresh] = index.emplace(p.compile_group(), g.first.size());
    if (fresh) g.first.push_back(&p);
    g.of_point.push_back(it->second);
  }
  return g;
}

std::string canonical_key(const std::string& key) {
  if (key == "array_rows" || key == "array_cols") return "array";
  if (key == "clock_hz") return "clock";
  if (key == "host_op_ns") return "host_op";
  return key;
}

// "sram_per_pe=64KiB": the program-relevant parameters the spec sets for
// this point, which are what a compile failure depends on.
std::string compile_setting(const SweepSpec& spec, const Point& p) {
  const auto& relevant = isa::program_relevant_keys();
  const auto is_relevant = [&](const std::string& k) {
    return std::count(relevant.begin(), relevant.end(), canonical_key(k)) > 0;
  };
  std::string s;
  for (const auto& [k, v] : spec.base_set)
    if (is_relevant(k)) s += (s.empty() ? "" : " ") + k + "=" + v;
  for (const auto& [k, v] : p.swept)
    if (is_relevant(k)) s += (s.empty() ? "" : " ") + k + "=" + v;
  return s.empty() ? "the default hardware" : s;
}

std::vector<PointResult> compile_all(const CompileGroups& groups, const SweepOptions& o,
                                     std::ostream& out) {
  std::vector<Job> jobs;
  for (const Point* p : groups.first) jobs.push_back({JobKind::kCompile, p});
  std::vector<PointResult> results(jobs.size());
  Progress progress("programs", jobs.size(), std::cerr, o.terminal);
  LocalOptions local{std::max(1, std::min<int>(o.jobs, int(jobs.size()))), o.point_timeout,
                     self_worker_command()};
  run_local(jobs, local, [&](const Job& job, const PointResult& r) {
    results[size_t(&job - jobs.data())] = r;
    progress.advance(r.status != "ok");
  });
  progress.finish();
  size_t cached = 0;
  for (const auto& r : results) cached += r.cache_hit;
  out << "programs   " << results.size() << " (" << cached << " from the compile cache)\n";
  return results;
}

[[noreturn]] void refuse_uncompilable(const SweepSpec& spec, const CompileGroups& groups,
                                      const std::vector<PointResult>& compiled) {
  size_t failed = 0;
  std::string first;
  for (size_t g = 0; g < compiled.size(); ++g) {
    if (compiled[g].status == "ok") continue;
    if (failed++ == 0) {
      const Point& p = *groups.first[g];
      first = "cannot compile model " + p.model + " (" + mode_name(p.mode) + ") for " +
              compile_setting(spec, p) + ": " + compiled[g].error;
    }
  }
  throw SpecError(spec.path + ": " + first +
                  (failed > 1 ? " (and " + std::to_string(failed - 1) + " more programs)" : "") +
                  "; nothing was run (\"uncompilable: record\" records such points as failed "
                  "and runs the rest)");
}

void print_header(const SweepSpec& spec, const Enumeration& e, const SweepOptions& o,
                  std::ostream& out) {
  out << "sweep      " << spec.name << " (" << spec.path << ")\n"
      << "points     " << e.points.size() << " = " << e.hardware_points << " hardware x "
      << spec.models.size() << " models x " << spec.modes.size() << " modes x "
      << spec.workloads.size() << " workloads";
  if (e.excluded) out << "; " << e.excluded << " hardware points excluded by the constraints";
  out << "\nexecutor   " << o.executor;
  if (o.executor == "local") out << ", " << o.jobs << " worker processes";
  out << (spec.arithmetic ? ", full arithmetic" : ", timing-only") << "\n";
}

}  // namespace

SweepSummary run_sweep(const SweepSpec& spec, const SweepOptions& o, std::ostream& out) {
  const Enumeration e = enumerate_points(spec);
  SweepSummary summary;
  summary.points = e.points.size();
  summary.excluded = e.excluded;
  print_header(spec, e, o, out);
  const CompileGroups groups = compile_groups(e.points);
  summary.programs = groups.first.size();
  if (o.dry_run) {
    for (const Point& p : e.points)
      out << "  " << p.model << "  " << mode_name(p.mode) << "  " << p.workload.kind << "  "
          << p.label() << "\n";
    return summary;
  }
  const std::vector<PointResult> compiled = compile_all(groups, o, out);
  const bool any_uncompilable = std::any_of(compiled.begin(), compiled.end(),
                                            [](const PointResult& r) { return r.status != "ok"; });
  if (any_uncompilable && !spec.record_uncompilable) refuse_uncompilable(spec, groups, compiled);

  ResultsDb db(o.db_path);
  const std::set<std::string> done = db.done_keys(o.retry_failed);
  const int64_t sweep_id = db.begin_sweep(spec, o.executor, e.points.size());
  // A point's result carries its program's compile figures.
  std::map<std::string, size_t> group_of_key;
  for (size_t i = 0; i < e.points.size(); ++i) group_of_key[e.points[i].key] = groups.of_point[i];
  const auto adjust = [&](const Point& p, PointResult& r) {
    const PointResult& c = compiled[group_of_key.at(p.key)];
    r.compile_ms = c.compile_ms;
    r.cache_hit = c.cache_hit;
  };

  std::vector<const Point*> todo;
  for (size_t i = 0; i < e.points.size(); ++i) {
    const Point& p = e.points[i];
    if (done.count(p.key)) {
      ++summary.already_done;
      continue;
    }
    const PointResult& c = compiled[groups.of_point[i]];
    if (c.status != "ok") {  // uncompilable: record
      PointResult r = failed_result(p.key, "cannot compile: " + c.error);
      adjust(p, r);
      db.record(p, r, sweep_id);
      continue;
    }
    todo.push_back(&p);
  }
  out << "to run     " << todo.size() << " (" << summary.already_done << " already in " << o.db_path
      << ")\n"
      << std::flush;

  const auto t0 = Clock::now();
  Progress progress("points", todo.size(), std::cerr, o.terminal);
  if (o.executor == "slurm") {
    run_slurm(todo, db, sweep_id, o.slurm, progress, adjust);
  } else {
    std::vector<Job> jobs;
    for (const Point* p : todo) jobs.push_back({JobKind::kRun, p});
    LocalOptions local{o.jobs, o.point_timeout, self_worker_command()};
    run_local(jobs, local, [&](const Job& job, const PointResult& result) {
      PointResult r = result;
      adjust(*job.point, r);
      db.record(*job.point, r, sweep_id);
      progress.advance(r.status != "ok");
    });
  }
  progress.finish();
  summary.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  summary.ran = todo.size();
  summary.failures = db.failures(sweep_id);
  summary.failed = summary.failures.size();
  return summary;
}

}  // namespace npusim::sweep
