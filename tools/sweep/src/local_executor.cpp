#include "npusim/sweep/local_executor.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>

namespace npusim::sweep {

namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kStderrTail = 2000;  // bytes of a worker's stderr kept for messages

// One worker process and the pipes to it.
struct Worker {
  pid_t pid = -1;
  int to = -1, from = -1, err = -1;  // its stdin, stdout, stderr
  std::string out_buffer, err_tail;
  std::optional<size_t> job;  // the job it is running
  Clock::time_point started;

  ~Worker() {
    for (int fd : {to, from, err})
      if (fd >= 0) ::close(fd);
  }
};

void make_pipe(int fds[2]) {
  if (::pipe2(fds, O_CLOEXEC) != 0)
    throw std::runtime_error(std::string("sweep: cannot create a pipe: ") + std::strerror(errno));
}

std::unique_ptr<Worker> spawn(const std::vector<std::string>& command) {
  int in[2], out[2], err[2];
  make_pipe(in);
  make_pipe(out);
  make_pipe(err);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(std::string("sweep: fork: ") + std::strerror(errno));
  if (pid == 0) {
    // The worker dies with the sweep, even when the sweep is killed.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(1);
    ::dup2(in[0], STDIN_FILENO);
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(err[1], STDERR_FILENO);
    std::vector<char*> argv;
    for (const auto& a : command) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    const std::string why = "cannot run " + command[0] + ": " + std::strerror(errno) + "\n";
    (void)!::write(STDERR_FILENO, why.data(), why.size());
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  auto w = std::make_unique<Worker>();
  w->pid = pid;
  w->to = in[1];
  w->from = out[0];
  w->err = err[0];
  return w;
}

bool write_all(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += size_t(n);
  }
  return true;
}

// Reads what is there; false at end of file.
bool drain(int fd, std::string& into) {
  char buf[65536];
  const ssize_t n = ::read(fd, buf, sizeof buf);
  if (n < 0) return errno == EINTR || errno == EAGAIN;
  into.append(buf, size_t(n));
  return n > 0;
}

std::string describe_exit(int status) {
  if (WIFSIGNALED(status))
    return "the worker process died of signal " + std::to_string(WTERMSIG(status)) + " (" +
           strsignal(WTERMSIG(status)) + ")";
  return "the worker process exited with code " + std::to_string(WEXITSTATUS(status)) +
         " without an answer";
}

class Pool {
 public:
  Pool(const std::vector<Job>& jobs, const LocalOptions& options,
       const std::function<void(const Job&, const PointResult&)>& on_result)
      : jobs_(jobs), options_(options), on_result_(on_result) {
    for (size_t i = 0; i < jobs.size(); ++i) queue_.push_back(i);
  }

  void run() {
    while (!queue_.empty() || busy() > 0) {
      while (int(workers_.size()) < options_.workers && workers_.size() < queue_.size() + busy())
        workers_.push_back(spawn(options_.worker_command));
      assign();
      wait_for_io();
      enforce_timeout();
    }
    for (auto& w : workers_) retire(*w);
    workers_.clear();
  }

 private:
  size_t busy() const {
    size_t n = 0;
    for (const auto& w : workers_) n += w->job.has_value();
    return n;
  }

  void assign() {
    std::vector<Worker*> unreachable;
    for (auto& w : workers_) {
      if (w->job || queue_.empty()) continue;
      const size_t j = queue_.front();
      queue_.pop_front();
      w->job = j;
      w->started = Clock::now();
      const std::string line = job_message(jobs_[j].kind, *jobs_[j].point).dump() + "\n";
      if (!write_all(w->to, line)) unreachable.push_back(w.get());
    }
    for (Worker* w : unreachable) fail_worker(*w, "");
  }

  void wait_for_io() {
    std::vector<pollfd> fds;
    for (const auto& w : workers_) {
      fds.push_back({w->from, POLLIN, 0});
      fds.push_back({w->err, POLLIN, 0});
    }
    if (::poll(fds.data(), fds.size(), 500) <= 0) return;
    std::vector<Worker*> ended;
    for (size_t i = 0; i < workers_.size(); ++i) {
      Worker& w = *workers_[i];
      if (fds[2 * i + 1].revents) {
        if (!drain(w.err, w.err_tail)) {  // closed: stop polling it
          ::close(w.err);
          w.err = -1;
        }
        if (w.err_tail.size() > kStderrTail) w.err_tail.erase(0, w.err_tail.size() - kStderrTail);
      }
      if (fds[2 * i].revents) {
        if (!drain(w.from, w.out_buffer)) ended.push_back(&w);
        take_answers(w);
      }
    }
    for (Worker* w : ended) fail_worker(*w, "");
  }

  void take_answers(Worker& w) {
    for (size_t eol; (eol = w.out_buffer.find('\n')) != std::string::npos;) {
      const std::string line = w.out_buffer.substr(0, eol);
      w.out_buffer.erase(0, eol + 1);
      if (!w.job) continue;
      const Job& job = jobs_[*w.job];
      PointResult r;
      try {
        r = result_from_json(nlohmann::json::parse(line).at("result"));
      } catch (const std::exception& e) {
        r = failed_result(job.point->key,
                          std::string("unreadable answer from the worker: ") + e.what());
      }
      w.job.reset();
      on_result_(job, r);
    }
  }

  void enforce_timeout() {
    std::vector<Worker*> late;
    for (auto& w : workers_)
      if (w->job && Clock::now() - w->started > options_.point_timeout) late.push_back(w.get());
    for (Worker* w : late)
      fail_worker(*w, "timed out after " + std::to_string(options_.point_timeout.count()) +
                          " s (--point-timeout)");
  }

  // What the dead worker wrote last, without waiting: a child it left
  // behind may still hold the pipe open.
  static void take_rest_of_stderr(Worker& w) {
    if (w.err < 0) return;
    ::fcntl(w.err, F_SETFL, ::fcntl(w.err, F_GETFL) | O_NONBLOCK);
    char buf[4096];
    for (;;) {
      const ssize_t n = ::read(w.err, buf, sizeof buf);
      if (n > 0) {
        w.err_tail.append(buf, size_t(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      break;  // end of file, or nothing more for now
    }
    if (w.err_tail.size() > kStderrTail) w.err_tail.erase(0, w.err_tail.size() - kStderrTail);
  }

  // The worker is gone (or killed): its job fails, and it is replaced.
  void fail_worker(Worker& w, const std::string& reason) {
    ::kill(w.pid, SIGKILL);
    int status = 0;
    ::waitpid(w.pid, &status, 0);
    w.pid = -1;
    take_rest_of_stderr(w);
    if (w.job) {
      const Job& job = jobs_[*w.job];
      std::string why = reason.empty() ? describe_exit(status) : reason;
      if (!w.err_tail.empty()) why += "; its last output: " + w.err_tail;
      w.job.reset();
      on_result_(job, failed_result(job.point->key, why));
    }
    for (auto it = workers_.begin(); it != workers_.end(); ++it)
      if (it->get() == &w) {
        workers_.erase(it);
        break;
      }
  }

  // No more jobs: end of input, then wait for it to exit.
  void retire(Worker& w) {
    ::close(w.to);
    w.to = -1;
    int status = 0;
    if (w.pid > 0) ::waitpid(w.pid, &status, 0);
    w.pid = -1;
  }

  const std::vector<Job>& jobs_;
  const LocalOptions& options_;
  const std::function<void(const Job&, const PointResult&)>& on_result_;
  std::deque<size_t> queue_;
  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace

void run_local(const std::vector<Job>& jobs, const LocalOptions& options,
               const std::function<void(const Job&, const PointResult&)>& on_result) {
  if (jobs.empty()) return;
  ::signal(SIGPIPE, SIG_IGN);  // a dead worker's pipe is an error return, not a signal
  Pool(jobs, options, on_result).run();
}

std::vector<std::string> self_worker_command() {
  return {std::filesystem::read_symlink("/proc/self/exe").string(), "sweep", "--worker"};
}

}  // namespace npusim::sweep
