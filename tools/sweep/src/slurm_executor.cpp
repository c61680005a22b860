#include "npusim/sweep/slurm_executor.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <thread>

#include "npusim/sweep/local_executor.hpp"

namespace npusim::sweep {

namespace fs = std::filesystem;

namespace {

constexpr int kMaxDefaultTasks = 64;
constexpr auto kPollInterval = std::chrono::seconds(1);

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

// Runs `argv` (no shell) and collects its output.
CommandResult run_command(const std::vector<std::string>& argv) {
  int out[2];
  if (::pipe(out) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(out[1], STDERR_FILENO);
    ::close(out[0]);
    ::close(out[1]);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    std::fprintf(stderr, "cannot run %s: %s\n", args[0], std::strerror(errno));
    ::_exit(127);
  }
  ::close(out[1]);
  CommandResult r;
  char buf[4096];
  for (ssize_t n; (n = ::read(out[0], buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    r.output.append(buf, size_t(n));
  }
  ::close(out[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string shard_path(const fs::path& dir, int task) {
  return (dir / ("task-" + std::to_string(task) + ".sqlite")).string();
}

std::string log_path(const fs::path& dir, int task) {
  return (dir / ("task-" + std::to_string(task) + ".log")).string();
}

// The work directory: its points (one JSON line each, the order fixes which
// task runs which) and the script each array task runs.
void write_work_dir(const fs::path& dir, const std::vector<const Point*>& todo, int tasks) {
  fs::create_directories(dir);
  {
    std::ofstream points(dir / "points.jsonl");
    for (const Point* p : todo) points << to_json(*p).dump() << "\n";
    std::ofstream(dir / "tasks") << tasks << "\n";
    if (!points) throw std::runtime_error("cannot write " + (dir / "points.jsonl").string());
  }
  const std::string exe = fs::read_symlink("/proc/self/exe").string();
  std::ofstream script(dir / "task.sh");
  script << "#!/bin/sh\n# One task of an npusim sweep (docs/sweep.md, \"Slurm\").\n"
         << "exec '" << exe << "' sweep --slurm-task '" << dir.string() << "'\n";
  script.close();
  fs::permissions(dir / "task.sh", fs::perms::owner_all, fs::perm_options::add);
}

std::string submit(const fs::path& dir, int tasks, const SlurmOptions& o) {
  std::vector<std::string> argv = {"sbatch",
                                   "--parsable",
                                   "--job-name=npusim-sweep",
                                   "--array=0-" + std::to_string(tasks - 1),
                                   "--ntasks=1",
                                   "--cpus-per-task=1",
                                   "--output=" + (dir / "task-%a.log").string(),
                                   "--chdir=" + dir.string()};
  argv.insert(argv.end(), o.sbatch_args.begin(), o.sbatch_args.end());
  argv.push_back((dir / "task.sh").string());
  const CommandResult r = run_command(argv);
  if (r.exit_code != 0)
    throw std::runtime_error("sbatch failed (exit " + std::to_string(r.exit_code) +
                             "): " + trimmed(r.output));
  std::string id = trimmed(r.output);
  id = id.substr(0, id.find(';'));  // "JOBID;CLUSTER" on multi-cluster setups
  if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos)
    throw std::runtime_error("sbatch gave no job id: " + trimmed(r.output));
  return id;
}

// Whether the array still has tasks queued or running.
bool array_active(const std::string& job) {
  const CommandResult r = run_command({"squeue", "--noheader", "--jobs=" + job, "--format=%i"});
  // After the job left the controller's memory squeue refuses the id: finished too.
  return r.exit_code == 0 && !trimmed(r.output).empty();
}

void wait_for_array(const std::string& job, const fs::path& dir, int tasks, const SlurmOptions& o,
                    Progress& progress) {
  const auto deadline = std::chrono::steady_clock::now() + o.timeout;
  for (;;) {
    size_t done = 0, failed = 0;
    for (int t = 0; t < tasks; ++t) {
      const auto [n, f] = ResultsDb::count_results(shard_path(dir, t));
      done += n;
      failed += f;
    }
    progress.set_done(done, failed);
    if (!array_active(job)) return;
    if (std::chrono::steady_clock::now() > deadline) {
      run_command({"scancel", job});
      throw std::runtime_error("Slurm job " + job + " did not finish within " +
                               std::to_string(o.timeout.count()) + " s; cancelled");
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  const long x = std::strtol(v, &end, 10);
  return *end == '\0' && x >= 0 ? int(x) : fallback;
}

}  // namespace

void run_slurm(const std::vector<const Point*>& todo, ResultsDb& db, int64_t sweep_id,
               const SlurmOptions& options, Progress& progress,
               const std::function<void(const Point&, PointResult&)>& adjust) {
  if (todo.empty()) return;
  const int tasks = options.tasks > 0 ? std::min<int>(options.tasks, int(todo.size()))
                                      : std::min<int>(kMaxDefaultTasks, int(todo.size()));
  const fs::path dir = fs::absolute(db.path() + ".slurm") / ("sweep-" + std::to_string(sweep_id));
  fs::remove_all(dir);
  write_work_dir(dir, todo, tasks);
  const std::string job = submit(dir, tasks, options);
  std::cerr << "submitted Slurm job array " << job << " (" << tasks << " tasks, work directory "
            << dir.string() << ")\n";
  wait_for_array(job, dir, tasks, options, progress);

  for (int t = 0; t < tasks; ++t)
    if (fs::exists(shard_path(dir, t))) db.merge(shard_path(dir, t), sweep_id);
  // A point whose task died before its result: failed, naming the task's log.
  const std::set<std::string> have = db.done_keys(false);
  for (size_t i = 0; i < todo.size(); ++i) {
    if (have.count(todo[i]->key)) continue;
    const int task = int(i % size_t(tasks));
    PointResult r = failed_result(todo[i]->key, "no result from Slurm task " + job + "_" +
                                                    std::to_string(task) + " (see " +
                                                    log_path(dir, task) + ")");
    adjust(*todo[i], r);
    db.record(*todo[i], r, sweep_id);
  }
}

int slurm_task_main(const std::string& dir_text) {
  const fs::path dir(dir_text);
  const int task = env_int("SLURM_ARRAY_TASK_ID", -1);
  if (task < 0) {
    std::cerr << "npusim sweep --slurm-task: SLURM_ARRAY_TASK_ID is not set (run by sbatch)\n";
    return 2;
  }
  int tasks = 0;
  std::ifstream(dir / "tasks") >> tasks;
  std::ifstream in(dir / "points.jsonl");
  if (!in || tasks < 1) {
    std::cerr << "npusim sweep --slurm-task: cannot read " << (dir / "points.jsonl").string()
              << "\n";
    return 1;
  }
  std::vector<Point> mine;
  size_t index = 0;
  for (std::string line; std::getline(in, line); ++index)
    if (int(index % size_t(tasks)) == task)
      mine.push_back(point_from_json(nlohmann::json::parse(line)));

  ResultsDb shard(shard_path(dir, task));
  const std::set<std::string> done = shard.done_keys(false);  // a requeued task resumes
  std::vector<Job> jobs;
  for (const Point& p : mine)
    if (!done.count(p.key)) jobs.push_back({JobKind::kRun, &p});
  LocalOptions local;
  local.workers = std::max(1, env_int("SLURM_CPUS_PER_TASK", 1));
  local.worker_command = self_worker_command();
  std::cout << "task " << task << " of " << tasks << ": " << jobs.size() << " points\n";
  run_local(jobs, local, [&](const Job& job, const PointResult& r) {
    shard.record(*job.point, r, 0);
    std::cout << (r.status == "ok" ? "done   " : "failed ") << job.point->model << " "
              << mode_name(job.point->mode) << " " << job.point->label()
              << (r.error.empty() ? "" : ": " + r.error) << "\n"
              << std::flush;
  });
  return 0;
}

}  // namespace npusim::sweep
