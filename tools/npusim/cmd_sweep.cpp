// npusim sweep: a what-if study over hardware parameters, models, device
// modes and workloads from a YAML spec, with results in SQLite
// (docs/sweep.md). `--worker` and `--slurm-task DIR` are the sweep's own
// processes (a local worker, one task of a Slurm job array), not for users.
#include <unistd.h>

#include <filesystem>
#include <iomanip>
#include <iostream>

#include "commands.hpp"
#include "npusim/sweep/progress.hpp"
#include "npusim/sweep/results_db.hpp"
#include "npusim/sweep/slurm_executor.hpp"
#include "npusim/sweep/sweep_run.hpp"
#include "npusim/sweep/worker.hpp"
#include "parse_options.hpp"
#include "program_files.hpp"

namespace po = boost::program_options;

namespace npusim::cli {
namespace {

struct SweepArgs {
  std::string spec, csv, layers_csv;
  int point_timeout = 3600, slurm_timeout = 24 * 3600;
  sweep::SweepOptions options;
};

SweepArgs parse(const Args& args) {
  SweepArgs a;
  po::options_description desc("sweep options");
  auto add = desc.add_options();
  add("spec", po::value(&a.spec)->required()->value_name("SPEC.yaml"),
      "the sweep: models, modes, workloads, hardware grid (docs/sweep.md)");
  add("db", po::value(&a.options.db_path)->value_name("FILE"),
      "results database (SQLite); default SPEC's name with .sqlite, in the current directory");
  add("jobs,j", po::value(&a.options.jobs)->value_name("N"),
      "local worker processes (2); each simulates one point at a time");
  add("executor", po::value(&a.options.executor)->value_name("local|slurm"),
      "local (default) or slurm: the points as a Slurm job array (sbatch --array)");
  add("slurm-tasks", po::value(&a.options.slurm.tasks)->value_name("N"),
      "array tasks (default one per point, at most 64)");
  add("sbatch-arg", po::value(&a.options.slurm.sbatch_args)->composing()->value_name("ARG"),
      "pass ARG to sbatch, e.g. --sbatch-arg=--partition=cpu (repeatable)");
  add("slurm-timeout", po::value(&a.slurm_timeout)->value_name("S"),
      "cancel the job array after S seconds (86400)");
  add("retry-failed", po::bool_switch(&a.options.retry_failed),
      "run points recorded as failed again (done points are always skipped)");
  add("dry-run", po::bool_switch(&a.options.dry_run),
      "check the spec and list the points; compile and run nothing, write nothing");
  add("point-timeout", po::value(&a.point_timeout)->value_name("S"),
      "kill a point's worker after S seconds and record the point as failed (3600)");
  add("csv", po::value(&a.csv)->value_name("FILE"), "write the points table as CSV afterwards");
  add("layers-csv", po::value(&a.layers_csv)->value_name("FILE"),
      "write the per-layer table as CSV afterwards");
  po::positional_options_description pos;
  pos.add("spec", 1);
  parse_options(args, "npusim sweep SPEC.yaml [options]", desc, pos);
  if (a.options.executor != "local" && a.options.executor != "slurm")
    throw UsageError("--executor takes local or slurm, not \"" + a.options.executor + "\"");
  if (a.options.jobs < 1) throw UsageError("-j/--jobs must be at least 1");
  if (a.point_timeout < 1) throw UsageError("--point-timeout must be at least 1 second");
  if (a.slurm_timeout < 1) throw UsageError("--slurm-timeout must be at least 1 second");
  a.options.point_timeout = std::chrono::seconds(a.point_timeout);
  a.options.slurm.point_timeout = a.options.point_timeout;
  a.options.slurm.timeout = std::chrono::seconds(a.slurm_timeout);
  if (a.options.db_path.empty())
    a.options.db_path = std::filesystem::path(a.spec).stem().string() + ".sqlite";
  for (const std::string* out : {&a.options.db_path, &a.csv, &a.layers_csv}) {
    if (out->empty()) continue;
    const auto dir = std::filesystem::path(*out).parent_path();
    if (!dir.empty() && !std::filesystem::is_directory(dir))
      throw UsageError("cannot write " + *out + ": directory " + dir.string() + " does not exist");
  }
  a.options.terminal = ::isatty(STDERR_FILENO);
  return a;
}

void print_summary(const sweep::SweepSummary& s, const std::string& db) {
  std::cout << "ran        " << s.ran << " points in " << sweep::format_duration(s.seconds);
  if (s.ran && s.seconds > 0)
    std::cout << " (" << std::fixed << std::setprecision(1) << 60.0 * double(s.ran) / s.seconds
              << " points per minute)";
  std::cout << "\n";
  if (s.failed) {
    std::cout << "failed     " << s.failed << " points (recorded with their error):\n";
    for (size_t i = 0; i < s.failures.size() && i < 10; ++i)
      std::cout << "  " << s.failures[i].substr(0, 400) << "\n";
  }
  std::cout << "results    " << db << "; plots: npusim plot " << db << "\n";
}

}  // namespace

int cmd_sweep(const Args& args) {
  if (args.size() == 1 && args[0] == "--worker") return sweep::worker_main();
  if (args.size() == 2 && args[0] == "--slurm-task") return sweep::slurm_task_main(args[1]);
  const SweepArgs a = parse(args);
  sweep::SweepSummary s;
  try {
    // A bad spec is found before any point runs: a usage error (exit 2).
    s = sweep::run_sweep(sweep::load_spec(a.spec), a.options, std::cout);
  } catch (const sweep::SpecError& e) {
    throw UsageError(e.what());
  }
  if (a.options.dry_run) {
    std::cout << s.points << " points, " << s.programs << " programs to compile; nothing run\n";
    return 0;
  }
  print_summary(s, a.options.db_path);
  if (!a.csv.empty() || !a.layers_csv.empty()) {
    const sweep::ResultsDb db(a.options.db_path);
    if (!a.csv.empty()) write_text_file(a.csv, db.csv("points"));
    if (!a.layers_csv.empty()) write_text_file(a.layers_csv, db.csv("layers"));
  }
  return 0;
}

}  // namespace npusim::cli
